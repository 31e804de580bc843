package dev.graft.format;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FormatExceptionTests {

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
