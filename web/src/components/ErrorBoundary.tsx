import { Component, type ErrorInfo, type ReactNode } from 'react';

/** A rendering failure shows a message and a way back, never a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('lineage explorer:', error, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <main className="empty" role="alert">
        <h1>Something went wrong</h1>
        <p>The explorer hit an error it did not expect: {this.state.error.message}</p>
        <p>
          <a href={window.location.pathname}>Start again</a> or go back.
        </p>
      </main>
    );
  }
}
