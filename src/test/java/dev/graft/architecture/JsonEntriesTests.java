package dev.graft.architecture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.graft.format.ReadLimits;
import dev.graft.plan.InitScheme;
import dev.graft.shared.InvalidInput;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON architectures are held to the limits files are read under, and shapes to what was written.
 */
class JsonEntriesTests {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final ReadLimits LIMITS = ReadLimits.defaults();

  private static ArchitectureDocument.Entry entry(String key, Long... shape) {
    return new ArchitectureDocument.Entry(key, "float32", List.of(shape), "BUFFER", null, null);
  }

  private static ArchitectureDocument doc(ArchitectureDocument.Entry... entries) {
    return new ArchitectureDocument("Net", List.of(entries));
  }

  private static InvalidInput refused(ArchitectureDocument doc) {
    return catchThrowableOfType(() -> JsonEntries.validate(doc, LIMITS), InvalidInput.class);
  }

  private static String path(JacksonException e) {
    return e.getPath().stream()
        .map(
            r -> r.getPropertyName() != null ? "." + r.getPropertyName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining())
        .substring(1);
  }

  // --- as read
  // ------------------------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "1.5                  | whole numbers",
        "2.0                  | whole numbers",
        "1e3                  | whole numbers",
        "'\"3\"'              | whole numbers",
        "true                 | whole numbers",
        "-0                   | -0 is not taken for 0",
        "-1                   | 0 or more",
        "99999999999999999999 | too large",
        "[2]                  | whole numbers",
      })
  void shouldRefuseSizesJacksonWouldCoerceNamingTheEntry(String size, String says) {
    String body =
        "{\"name\":\"Net\",\"entries\":[{\"key\":\"a\",\"dtype\":\"float32\",\"shape\":[1]},"
            + "{\"key\":\"b\",\"dtype\":\"float32\",\"shape\":[4, "
            + size
            + "]}]}";

    JacksonException e =
        catchThrowableOfType(
            () -> JSON.readValue(body, ArchitectureDocument.class), JacksonException.class);

    assertThat(path(e)).isEqualTo("entries[1].shape");
    assertThat(e.getOriginalMessage()).contains("size 1 is").contains(says);
  }

  @Test
  void shouldReadWholeSizesAsWritten() {
    ArchitectureDocument doc =
        JSON.readValue(
            "{\"name\":\"Net\",\"entries\":[{\"key\":\"a\",\"dtype\":\"float32\",\"shape\":[0, 3,"
                + " 9007199254740993]},{\"key\":\"b\",\"dtype\":\"int64\",\"shape\":[]}]}",
            ArchitectureDocument.class);

    assertThat(doc.entries().get(0).shape()).containsExactly(0L, 3L, 9007199254740993L);
    assertThat(doc.entries().get(1).shape()).isEmpty();
  }

  /** A body that never ends is refused once it passes the entry limit, not after it is read. */
  @Test
  void shouldRefuseTooManyEntriesWhileReading() {
    Reader endless =
        new Reader() {
          private final String head = "{\"name\":\"Net\",\"entries\":[";
          private long produced;
          private String pending = head;

          @Override
          public int read(char[] buf, int off, int len) {
            if (pending.isEmpty()) {
              pending = "{\"key\":\"k" + produced++ + "\",\"dtype\":\"int8\",\"shape\":[]},";
            }
            int n = Math.min(len, pending.length());
            pending.getChars(0, n, buf, off);
            pending = pending.substring(n);
            return n;
          }

          @Override
          public void close() {}
        };

    JacksonException e =
        catchThrowableOfType(
            () -> JSON.readValue(endless, ArchitectureDocument.class), JacksonException.class);

    assertThat(path(e)).isEqualTo("entries");
    assertThat(e.getOriginalMessage()).contains("more than 200000 entries");
  }

  // --- checked
  // ------------------------------------------------------------------------------------------

  @Test
  void shouldRefuseMoreEntriesThanTheLimit() {
    List<ArchitectureDocument.Entry> many = new ArrayList<>();
    for (int i = 0; i <= LIMITS.maxTensors(); i++) {
      many.add(entry("k" + i));
    }
    InvalidInput e = refused(new ArchitectureDocument("Net", many));

    assertThat(e.field()).isEqualTo("entries");
    assertThat(e.getMessage()).contains("at most 200000");
  }

  @Test
  void shouldRefuseKeysTheDatabaseCannotHold() {
    assertThat(refused(doc(entry("a"), entry("é".repeat(513)))).field())
        .isEqualTo("entries[1].key");
    assertThat(refused(doc(entry("é".repeat(513)))).getMessage()).contains("at most 1024");
    assertThat(refused(doc(entry("fc\0.weight"))).getMessage()).contains("U+0000");
    assertThat(refused(doc(entry("fc\uDC00"))).getMessage()).contains("lone surrogate");
    assertThat(JsonEntries.validate(doc(entry("k".repeat(1024))), LIMITS)).hasSize(1);
    assertThat(refused(new ArchitectureDocument("N\0et", List.of(entry("a")))).field())
        .isEqualTo("name");
  }

  @Test
  void shouldRefuseShapesPastTheRankAndElementLimits() {
    Long[] rank17 = Collections.nCopies(17, 1L).toArray(new Long[0]);
    assertThat(refused(doc(entry("a", rank17))).getMessage()).contains("at most 16");
    assertThat(refused(doc(entry("a", 1L << 62, 4L))).getMessage()).contains("64 bits");
    // 2^62 elements fit in a long but not under the limit of 2^40.
    InvalidInput huge = refused(doc(entry("a", 1L << 62)));
    assertThat(huge.field()).isEqualTo("entries[0].shape");
    assertThat(huge.getMessage()).contains("more than 1099511627776 elements");
    // Each under the limit, together over it: the sum is checked without overflowing.
    InvalidInput sum = refused(doc(entry("a", 1L << 39), entry("b", 1L << 39), entry("c", 1L)));
    assertThat(sum.field()).isEqualTo("entries[2].shape");
    InvalidInput overflow =
        refused(doc(entry("a", 1L << 40), entry("b", Long.MAX_VALUE / 2), entry("c", 1L)));
    assertThat(overflow.field()).isEqualTo("entries[1].shape");
  }

  @Test
  void shouldRefuseInitParametersThatAreNotFinite() {
    for (String value : List.of("1e999", "-1e999", "1" + "0".repeat(400))) {
      ArchitectureDocument doc =
          JSON.readValue(
              "{\"name\":\"Net\",\"entries\":[{\"key\":\"w\",\"dtype\":\"float32\",\"shape\":[2],"
                  + "\"init\":{\"scheme\":\"constant\",\"value\":"
                  + value
                  + "}}]}",
              ArchitectureDocument.class);

      InvalidInput e = refused(doc);

      assertThat(e.field()).as(value).isEqualTo("entries[0].init.value");
      assertThat(e.getMessage()).contains("finite");
    }
  }

  @Test
  void shouldStoreLargeFiniteInitParametersAsDoubles() {
    ArchitectureDocument doc =
        JSON.readValue(
            "{\"name\":\"Net\",\"entries\":[{\"key\":\"w\",\"dtype\":\"float32\",\"shape\":[2],"
                + "\"init\":{\"scheme\":\"constant\",\"value\":1"
                + "0".repeat(300)
                + "}}]}",
            ArchitectureDocument.class);

    StoredEntry stored = JsonEntries.validate(doc, LIMITS).get(0);

    assertThat(stored.init().get("value")).isEqualTo(1e300);
  }

  @Test
  void shouldAcceptEverySchemeWithItsRequiredParametersAndRefuseItWithoutThem() {
    for (InitScheme scheme : InitScheme.values()) {
      java.util.Map<String, Object> init = new java.util.LinkedHashMap<>();
      init.put("scheme", scheme.wireName());
      for (InitScheme.Parameter p : scheme.parameters()) {
        if (p.defaultValue() == null) {
          init.put(p.name(), 0.5);
        }
      }
      ArchitectureDocument.Entry e =
          new ArchitectureDocument.Entry("w", "float32", List.of(4L, 3L), "PARAMETER", null, init);
      assertThat(JsonEntries.validate(doc(e), LIMITS).get(0).toTarget().init().scheme())
          .isEqualTo(scheme);
      for (InitScheme.Parameter p : scheme.parameters()) {
        if (p.defaultValue() == null) {
          java.util.Map<String, Object> without = new java.util.LinkedHashMap<>(init);
          without.remove(p.name());
          InvalidInput refusal =
              refused(
                  doc(
                      new ArchitectureDocument.Entry(
                          "w", "float32", List.of(4L, 3L), "PARAMETER", null, without)));
          assertThat(refusal.field()).isEqualTo("entries[0].init." + p.name());
        }
      }
    }
  }
}
