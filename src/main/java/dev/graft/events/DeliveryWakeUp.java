package dev.graft.events;

import org.springframework.stereotype.Component;

/**
 * Tells this process's dispatcher that deliveries were queued, so it does not wait for its next
 * poll. Other replicas' dispatchers find them by polling.
 */
@Component
class DeliveryWakeUp {

  private final Object lock = new Object();
  private boolean pending;

  /** Wakes a dispatcher waiting in {@link #await}. */
  void wake() {
    synchronized (lock) {
      pending = true;
      lock.notifyAll();
    }
  }

  /** Waits until woken or {@code millis} have passed; returns at once if woken since last time. */
  void await(long millis) throws InterruptedException {
    long end = System.nanoTime() + millis * 1_000_000;
    synchronized (lock) {
      while (!pending) {
        long left = (end - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          break;
        }
        lock.wait(left);
      }
      pending = false;
    }
  }
}
