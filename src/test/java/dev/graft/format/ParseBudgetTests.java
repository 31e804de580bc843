package dev.graft.format;

import static org.assertj.core.api.Assertions.assertThat;

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

  @Test
  void shouldCapEveryMessageKeepingItsStartAndEnd() {
    String detail = "x".repeat(10_000_000);
    FormatException e = FormatException.malformed("start " + detail + " (at pickle offset 12345)");
    assertThat(e.getMessage()).hasSizeLessThanOrEqualTo(FormatException.MAX_MESSAGE_CHARS);
    assertThat(e.getMessage()).startsWith("start xxx").endsWith("(at pickle offset 12345)");
    assertThat(e.getMessage()).contains("[...]");
    assertThat(FormatException.malformed("short").getMessage()).isEqualTo("short");
  }

  @Test
  void shouldQuoteNamesInAtMostTwoHundredCharactersEvenWhenEveryOneIsEscaped() {
    assertThat(FormatException.quote("\0".repeat(10_000)))
        .hasSizeLessThanOrEqualTo(210)
        .startsWith("'\\u0000")
        .endsWith("...'");
    assertThat(FormatException.quote("a".repeat(200))).isEqualTo("'" + "a".repeat(200) + "'");
  }
}
