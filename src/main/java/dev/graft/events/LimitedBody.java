package dev.graft.events;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Keeps the first bytes of a receiver's answer and stops reading there, so a large or endless
 * answer costs neither memory nor time.
 */
final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {

  private final int max;
  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private final CompletableFuture<byte[]> result = new CompletableFuture<>();
  private Flow.Subscription subscription;

  LimitedBody(int max) {
    this.max = max;
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return result;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(1);
  }

  @Override
  public void onNext(List<ByteBuffer> buffers) {
    for (ByteBuffer b : buffers) {
      int n = Math.min(b.remaining(), max - kept.size());
      byte[] chunk = new byte[n];
      b.get(chunk);
      kept.write(chunk, 0, n);
    }
    if (kept.size() >= max) {
      subscription.cancel();
      result.complete(kept.toByteArray());
    } else {
      subscription.request(1);
    }
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    result.complete(kept.toByteArray());
  }
}
