package dev.graft.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A flood of refusals costs a bounded number of audit lines. */
class RefusalAuditTests {

  private record Line(String actor, String action, String detail, String address) {}

  /** Collects lines instead of writing them. */
  private static final class Recorded extends AuditLog {
    final List<Line> lines = new ArrayList<>();

    Recorded() {
      super(null);
    }

    @Override
    void refusal(Instant at, String actor, String action, String detail, String remoteAddr) {
      synchronized (lines) {
        lines.add(new Line(actor, action, detail, remoteAddr));
      }
    }
  }

  @Test
  void shouldWriteAtMostTwoLinesPerAddressAndOneForTheOverflowPerMinute() {
    Recorded log = new Recorded();
    RefusalAudit audit = new RefusalAudit(log);
    try {
      int addresses = RefusalAudit.MAX_KEYS + 100;
      for (int round = 0; round < 50; round++) {
        for (int a = 0; a < addresses; a++) {
          audit.refused(
              "auth.refused",
              "anonymous",
              "GET '/api/v1/x': no token",
              "10.0." + a / 256 + "." + a % 256);
        }
      }
      assertThat(log.lines).hasSize(RefusalAudit.MAX_KEYS);
      audit.flush();
      assertThat(log.lines).hasSize(2 * RefusalAudit.MAX_KEYS + 1);
      Line overflow = log.lines.get(log.lines.size() - 1);
      assertThat(overflow.address()).isEqualTo("*");
      assertThat(overflow.detail()).startsWith((100 * 50) + " refused calls");
      assertThat(log.lines.get(RefusalAudit.MAX_KEYS).detail()).startsWith("49 more refused calls");

      // A quiet minute writes nothing.
      audit.flush();
      assertThat(log.lines).hasSize(2 * RefusalAudit.MAX_KEYS + 1);
    } finally {
      audit.destroy();
    }
  }
}
