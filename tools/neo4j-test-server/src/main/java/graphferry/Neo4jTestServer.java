package graphferry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * An embedded Neo4j 5.26 Community DBMS for graphferry's integration tests: Bolt on 127.0.0.1:PORT
 * (no HTTP), auth on with one test password for user {@code neo4j}, data under HOME, APOC core
 * loaded from PLUGINS with {@code apoc.*} unrestricted, small memory, clean stop on SIGTERM.
 *
 * <p>Usage: {@code java -cp ... graphferry.Neo4jTestServer --home DIR --port N --password PW
 * --plugins DIR}. Community Edition holds one user database ({@code neo4j}), so a test rig that
 * needs a source and a target starts two of these.
 *
 * <p>Readiness is not announced here: the password is set only after the DBMS is up, so a client
 * that logs in with the test password (scripts/test-servers.sh runs {@code RETURN 1} through the
 * official Python driver) knows the server is ready.
 */
public final class Neo4jTestServer {
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        Path home = Path.of(require(opts, "--home")).toAbsolutePath();
        int port = Integer.parseInt(require(opts, "--port"));
        String password = require(opts, "--password");
        Path plugins = Path.of(require(opts, "--plugins")).toAbsolutePath();
        if (password.length() < 8) {
            // Neo4j 5 refuses shorter passwords (dbms.security.auth_minimum_password_length).
            throw new IllegalArgumentException("--password needs at least 8 characters");
        }
        Files.createDirectories(home);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.plugin_dir, plugins)
                .setConfig(GraphDatabaseSettings.procedure_unrestricted, List.of("apoc.*"))
                // Two instances share a 2-core machine with other servers: keep memory small.
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(64))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM runs shutdown hooks: close the DBMS so its store is consistent on the next start.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("neo4j-test-server: stopping");
            dbms.shutdown();
            stopped.countDown();
        }, "neo4j-test-server-shutdown"));

        // The built-in user `neo4j` starts with password `neo4j` and must change it; set the test
        // password through the system database (Community supports ALTER USER) so clients can log
        // in directly. Idempotent across restarts on the same HOME.
        dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        System.out.println("neo4j-test-server: Bolt on 127.0.0.1:" + port + ", home " + home);
        stopped.await();
    }

    private static Map<String, String> parse(String[] args) {
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException(
                    "usage: --home DIR --port N --password PW --plugins DIR");
        }
        Map<String, String> opts = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            opts.put(args[i], args[i + 1]);
        }
        return opts;
    }

    private static String require(Map<String, String> opts, String key) {
        String v = opts.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing " + key);
        }
        return v;
    }
}
