package dev.graft.storage;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Sweeps the staging folder every five minutes, so files a crashed process left behind go soon even
 * when no process restarts on this data folder (the store also sweeps when it opens).
 */
@Component
class StagingSweeper implements SmartLifecycle {

  private final BlobStore blobs;
  private ScheduledExecutorService timer;

  StagingSweeper(BlobStore blobs) {
    this.blobs = blobs;
  }

  @Override
  public synchronized void start() {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "graft-staging-sweeper");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(blobs::sweepStaging, 5, 5, TimeUnit.MINUTES);
  }

  @Override
  public synchronized void stop() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return timer != null;
  }
}
