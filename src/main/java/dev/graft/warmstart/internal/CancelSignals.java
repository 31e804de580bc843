package dev.graft.warmstart.internal;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * Cancels asked for in this process, seen by this process's executor before its next tensor;
 * cancels asked for through another API replica reach the worker with its next heartbeat instead.
 */
@Component
public class CancelSignals {

  private final Set<UUID> cancelled = ConcurrentHashMap.newKeySet();

  /** Records a cancel for a run. */
  public void cancel(UUID run) {
    cancelled.add(run);
  }

  boolean isCancelled(UUID run) {
    return cancelled.contains(run);
  }

  void forget(UUID run) {
    cancelled.remove(run);
  }
}
