package dev.graft.warmstart;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The worker in {@code /actuator/health} and the readiness group: down while a worker thread has no
 * usable engine, with the reason; up (and silent) in a process without the worker role.
 */
@Component
class WorkerHealthIndicator implements HealthIndicator {

  private final Worker worker;

  WorkerHealthIndicator(Worker worker) {
    this.worker = worker;
  }

  @Override
  public Health health() {
    Worker.Health h = worker.health();
    if (h == null) {
      return Health.up().withDetail("role", "off").build();
    }
    Health.Builder b = h.up() ? Health.up() : Health.down();
    b.withDetail("threads", h.threadsAlive() + "/" + h.threads());
    if (h.device() != null) {
      b.withDetail("device", h.device());
    }
    if (h.error() != null) {
      b.withDetail("error", h.error());
    }
    return b.build();
  }
}
