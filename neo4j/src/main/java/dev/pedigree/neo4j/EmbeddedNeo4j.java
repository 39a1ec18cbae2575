package dev.pedigree.neo4j;

import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

/**
 * Runs Neo4j 5.26 Community in this JVM with a Bolt connector on 127.0.0.1.
 *
 * <p>Usage: {@code java -jar pedigree-neo4j.jar --port 7687 --data .data/neo4j [--pagecache 256m]
 * [--plugins DIR] [--exit-on-stdin-eof]}
 *
 * <p>Prints exactly one line {@code PEDIGREE_NEO4J_READY bolt://127.0.0.1:<port>} on stdout once
 * Bolt accepts connections. SIGTERM and SIGINT shut the database down cleanly. Every failure a
 * user can fix ends with one line on stderr starting {@code pedigree-neo4j:} and a non-zero exit:
 * 2 bad arguments, 3 port taken, 4 data directory in use, 5 any other start failure. With
 * {@code --exit-on-stdin-eof} the process also stops when its parent closes stdin, so a crashed
 * parent (a test runner, the gateway) never leaves an orphaned database behind.
 *
 * <p>{@code --plugins} names a directory of procedure jars (Neo4j's plugins directory). Pedigree
 * needs none; the benchmark passes APOC Core for the {@code @neo4j/graphql} peer.
 *
 * <p>Authentication is disabled: the connector listens on loopback only and the data directory is
 * the developer's own. Anything shared uses a real Neo4j server through NEO4J_URI.
 */
public final class EmbeddedNeo4j {
  private static final String PREFIX = "pedigree-neo4j: ";

  private EmbeddedNeo4j() {}

  public static void main(String[] args) {
    Map<String, String> options = parse(args);
    int port = parsePort(options.getOrDefault("port", "7687"));
    Path data = Path.of(options.getOrDefault("data", ".data/neo4j")).toAbsolutePath();
    String pagecache = options.getOrDefault("pagecache", "256m");
    Path plugins = options.containsKey("plugins") ? Path.of(options.get("plugins")).toAbsolutePath() : null;
    if (plugins != null && !Files.isDirectory(plugins)) {
      fail(2, "--plugins " + plugins + " is not a directory");
    }

    ensurePortFree(port);
    DatabaseManagementService dbms = start(data, port, pagecache, plugins);

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  dbms.shutdown();
                  stopped.countDown();
                },
                "pedigree-neo4j-shutdown"));

    GraphDatabaseService db = dbms.database("neo4j");
    if (!db.isAvailable(TimeUnit.MINUTES.toMillis(2))) {
      fail(5, "the database did not become available within 2 minutes; see " + data.resolve("logs/debug.log"));
    }
    awaitBolt(port);
    System.out.println("PEDIGREE_NEO4J_READY bolt://127.0.0.1:" + port);
    System.out.flush();

    if (options.containsKey("exit-on-stdin-eof")) {
      watchStdin();
    }
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static DatabaseManagementService start(Path data, int port, String pagecache, Path plugins) {
    try {
      Files.createDirectories(data);
      Map<String, String> config = new LinkedHashMap<>();
      config.put("server.bolt.enabled", "true");
      config.put("server.bolt.listen_address", "127.0.0.1:" + port);
      config.put("server.bolt.advertised_address", "127.0.0.1:" + port);
      config.put("server.http.enabled", "false");
      config.put("server.https.enabled", "false");
      config.put("dbms.security.auth_enabled", "false");
      config.put("server.memory.pagecache.size", pagecache);
      config.put("db.tx_log.rotation.retention_policy", "2 files");
      config.put("dbms.usage_report.enabled", "false");
      if (plugins != null) {
        config.put("server.directories.plugins", plugins.toString());
      }
      StringBuilder conf = new StringBuilder("# Written by pedigree-neo4j at every start.\n");
      config.forEach((key, value) -> conf.append(key).append('=').append(value).append('\n'));
      Path confFile = data.resolve("pedigree-neo4j.conf");
      Files.writeString(confFile, conf.toString());
      return new DatabaseManagementServiceBuilder(data).loadPropertiesFromFile(confFile).build();
    } catch (Throwable e) {
      if (isLockFailure(e)) {
        fail(4, "the data directory " + data + " is already in use by another Neo4j (is another `npm start` running?)");
      }
      fail(5, "Neo4j failed to start: " + rootMessage(e) + " (details in " + data.resolve("logs/debug.log") + ")");
      throw new AssertionError("unreachable");
    }
  }

  private static void ensurePortFree(int port) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress("127.0.0.1", port));
    } catch (BindException e) {
      fail(3, "port " + port + " on 127.0.0.1 is already in use; stop whatever uses it or choose another port (NEO4J_PORT)");
    } catch (IOException e) {
      fail(3, "cannot bind 127.0.0.1:" + port + ": " + e.getMessage());
    }
  }

  /** Bolt starts listening shortly after the database reports available; wait until it does. */
  private static void awaitBolt(int port) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException e) {
        sleep(100);
      }
    }
    fail(5, "Bolt did not accept connections on 127.0.0.1:" + port + " within 60 seconds");
  }

  private static void watchStdin() {
    Thread watcher =
        new Thread(
            () -> {
              InputStream in = System.in;
              byte[] buffer = new byte[256];
              try {
                while (in.read(buffer) >= 0) {
                  // Input is ignored; only its end matters.
                }
              } catch (IOException ignored) {
                // A broken pipe means the parent is gone, the same as EOF.
              }
              System.exit(0);
            },
            "pedigree-neo4j-stdin");
    watcher.setDaemon(true);
    watcher.start();
  }

  private static boolean isLockFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String name = t.getClass().getSimpleName();
      String message = String.valueOf(t.getMessage()).toLowerCase();
      if (name.contains("FileLock") || name.contains("Lock") && message.contains("lock")) {
        return true;
      }
      if (message.contains("already locked") || message.contains("lock file")) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        fail(2, "unexpected argument '" + arg + "'; usage: --port N --data DIR [--pagecache SIZE] [--plugins DIR] [--exit-on-stdin-eof]");
      }
      String name = arg.substring(2);
      if (name.equals("exit-on-stdin-eof")) {
        options.put(name, "true");
      } else if (i + 1 < args.length) {
        options.put(name, args[++i]);
      } else {
        fail(2, "option " + arg + " needs a value");
      }
    }
    return options;
  }

  private static int parsePort(String value) {
    try {
      int port = Integer.parseInt(value);
      if (port > 0 && port < 65536) {
        return port;
      }
    } catch (NumberFormatException ignored) {
      // Reported below.
    }
    fail(2, "--port must be a number from 1 to 65535, got '" + value + "'");
    return -1;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void fail(int status, String message) {
    System.err.println(PREFIX + message);
    System.err.flush();
    Runtime.getRuntime().halt(status);
  }
}
