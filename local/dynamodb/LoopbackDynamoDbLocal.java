import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Starts DynamoDB Local bound to one host only (the jar has no host option: its Jetty
 * server is built with {@code new Server(port)}, which listens on every interface).
 *
 * <p>Usage: {@code java -cp DynamoDBLocal.jar LoopbackDynamoDbLocal.java -host 127.0.0.1
 * <DynamoDB Local options>}. It builds the server exactly as the jar's own main does,
 * sets the host on its connector before anything listens, and refuses to start when it
 * cannot (a changed jar), so it never falls back to listening on every interface.
 */
public final class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    if (args.length < 2 || !args[0].equals("-host")) {
      System.err.println("usage: LoopbackDynamoDbLocal -host <address> <DynamoDB Local options>");
      System.exit(2);
    }
    String host = args[1];
    String[] rest = Arrays.copyOfRange(args, 2, args.length);
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(rest);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) fail("DynamoDB Local has no connector to bind");
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) fail("unexpected DynamoDB Local connector " + connector.getClass().getName());
      ((ServerConnector) connector).setHost(host);
    }
    proxy.start();
    System.out.println("DynamoDB Local listening on " + host);
  }

  private static void fail(String message) {
    System.err.println(message + "; refusing to listen on every interface");
    System.exit(3);
  }
}
