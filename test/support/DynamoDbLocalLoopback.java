// Starts DynamoDB Local bound to 127.0.0.1 only. Its CLI has no host option and
// DynamoDBProxyServer builds `new Server(port)`, which binds every interface, so this sets
// the host on the Jetty connectors before they start. Run in single-file source mode with
// DynamoDBLocal.jar and DynamoDBLocal_lib/* on the class path; arguments are DynamoDB
// Local's own (-inMemory -port N ...).
import java.lang.reflect.Field;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDbLocalLoopback {
    private static final String HOST = "127.0.0.1";

    public static void main(String[] args) throws Exception {
        exitWhenParentGoes();

        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server jetty = (Server) field.get(proxy);

        for (Connector connector : jetty.getConnectors()) {
            if (!(connector instanceof ServerConnector)) {
                fail("unexpected Jetty connector " + connector.getClass().getName());
            }
            ((ServerConnector) connector).setHost(HOST);
        }

        // DynamoDBProxyServer.start() prints a bind failure and returns instead of throwing.
        proxy.start();
        if (!jetty.isStarted()) {
            fail("Jetty did not start (see the lines above)");
        }
        for (Connector connector : jetty.getConnectors()) {
            ServerConnector sc = (ServerConnector) connector;
            System.out.println("DynamoDbLocalLoopback listening on " + sc.getHost() + ":" + sc.getLocalPort());
        }
        System.out.flush();
        proxy.join();
    }

    // The parent keeps our stdin open; end of input means it is gone (even if it was killed
    // without running its exit handlers), so do not linger as an orphan.
    private static void exitWhenParentGoes() {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // Nothing is sent on stdin; reading only detects its end.
                }
            } catch (java.io.IOException ignored) {
                // Treated as end of input.
            }
            Runtime.getRuntime().halt(0);
        }, "parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static void fail(String message) {
        System.err.println("DynamoDbLocalLoopback: " + message);
        System.exit(1);
    }
}
