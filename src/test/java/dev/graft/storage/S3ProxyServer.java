package dev.graft.storage;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.options.ListContainerOptions;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * A real S3-compatible server in the test JVM: S3Proxy over the jclouds {@code filesystem} backend
 * in a temporary folder, on a free port of 127.0.0.1, checking AWS signatures with fixed keys.
 */
public final class S3ProxyServer implements AutoCloseable {

  public static final String ACCESS_KEY = "graft-test";
  public static final String SECRET_KEY = "graft-test-secret";

  private final Path dir;
  private final BlobStoreContext context;
  private volatile S3Proxy proxy;
  private final int port;

  private S3ProxyServer(Path dir, BlobStoreContext context, S3Proxy proxy) {
    this.dir = dir;
    this.context = context;
    this.proxy = proxy;
    this.port = proxy.getPort();
  }

  /** Starts a server and waits until it accepts requests. */
  public static S3ProxyServer start() throws Exception {
    Path dir = Files.createTempDirectory("graft-s3proxy-");
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", dir.toString());
    BlobStoreContext context =
        ContextBuilder.newBuilder("filesystem")
            .credentials("identity", "credential")
            .overrides(props)
            .build(BlobStoreContext.class);
    S3Proxy proxy = started(context, 0);
    return new S3ProxyServer(dir, context, proxy);
  }

  private static S3Proxy started(BlobStoreContext context, int port) throws Exception {
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(context.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:" + port))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!AbstractLifeCycle.STARTED.equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
    return proxy;
  }

  /**
   * Takes the server away, as an outage does: the port stops accepting connections and requests
   * under way are cut. The stored objects stay; {@link #restart()} serves them again.
   */
  public void stop() throws Exception {
    proxy.stop();
  }

  /** Whether the server is serving (not {@link #stop() stopped}). */
  public boolean running() {
    return proxy.getState().equals(AbstractLifeCycle.STARTED);
  }

  /** Serves again on the same port, over the same objects, after {@link #stop()}. */
  public void restart() throws Exception {
    proxy = started(context, port);
  }

  /** The server's URL. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** A client for the server, path-style, with the test keys. */
  public S3Client client() {
    return clientBuilder().build();
  }

  /** The builder of {@link #client()}, to add to. */
  public S3ClientBuilder clientBuilder() {
    return S3BlobStore.clientBuilder(endpoint(), "us-east-1", ACCESS_KEY, SECRET_KEY);
  }

  /** Every key in a bucket, read from the backend directly rather than through S3. */
  public List<String> keys(String bucket) {
    List<String> keys = new ArrayList<>();
    if (!context.getBlobStore().containerExists(bucket)) {
      return keys;
    }
    for (StorageMetadata m :
        context.getBlobStore().list(bucket, ListContainerOptions.Builder.recursive())) {
      if (m.getType() == org.jclouds.blobstore.domain.StorageType.BLOB) {
        keys.add(m.getName());
      }
    }
    return keys;
  }

  /** The backend's folder. */
  public Path dir() {
    return dir;
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    context.close();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // A temp folder; the OS cleans up what is left.
    }
  }
}
