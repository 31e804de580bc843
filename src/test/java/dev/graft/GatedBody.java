package dev.graft;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A request body that stops after {@code gateAt} bytes until the test {@link #open() opens} it, so
 * a fault can be made while an upload is under way.
 */
public final class GatedBody extends InputStream {

  private final byte[] bytes;
  private final int gateAt;
  private final CountDownLatch open = new CountDownLatch(1);
  private int pos;

  public GatedBody(byte[] bytes, int gateAt) {
    this.bytes = bytes;
    this.gateAt = gateAt;
  }

  /** Lets the rest of the body go. */
  public void open() {
    open.countDown();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (pos >= bytes.length) {
      return -1;
    }
    if (pos == gateAt) {
      try {
        if (!open.await(60, TimeUnit.SECONDS)) {
          throw new IOException("the gate was never opened");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
    int n = Math.min(len, (pos < gateAt ? gateAt : bytes.length) - pos);
    System.arraycopy(bytes, pos, b, off, n);
    pos += n;
    return n;
  }
}
