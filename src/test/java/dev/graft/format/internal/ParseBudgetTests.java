package dev.graft.format.internal;

import dev.graft.format.FormatException;
import dev.graft.format.Hostile;
import dev.graft.format.PickleBuilder;
import dev.graft.format.ReadLimits;
import dev.graft.format.pickle.RestrictedUnpickler;
import org.junit.jupiter.api.Test;

class ParseBudgetTests {

  /** A pickle of {@code n} NONE/POP pairs: 2n + 3 opcodes of work that builds nothing. */
  private static byte[] busyPickle(int n) {
    PickleBuilder b = PickleBuilder.proto2();
    for (int i = 0; i < n; i++) {
      b.none().op('0');
    }
    return b.none().stop().build();
  }

  @Test
  void shouldRefuseAParseOverItsWorkBudget() {
    ReadLimits limits = ReadLimits.defaults().withBudget(1000, 10_000);
    Hostile.refused(
            () -> new RestrictedUnpickler(limits).load(busyPickle(1000)),
            FormatException.Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("parse exceeded its work budget of 1000")
        .hasMessageContaining("at pickle offset");
  }

  @Test
  void shouldRefuseAParsePastItsDeadline() {
    ReadLimits limits = ReadLimits.defaults().withBudget(Long.MAX_VALUE, 0);
    Hostile.refused(
            () -> new RestrictedUnpickler(limits).load(busyPickle(100_000)),
            FormatException.Kind.LIMIT_EXCEEDED)
        .hasMessageContaining("parse took longer than 0 s");
  }
}
