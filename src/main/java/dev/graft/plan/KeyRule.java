package dev.graft.plan;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rewrite applied to checkpoint keys before they are matched against the target, and to the
 * checkpoint's {@code _metadata} module prefixes in the same way.
 *
 * <p>In the API a rule is {@code {"type": "stripPrefix"|"addPrefix"|"regex", ...}}; {@link #type()}
 * gives that name. The Jackson annotations (metadata only: nothing in this package calls Jackson)
 * let the web layer read and write rules in exactly that shape.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = KeyRule.StripPrefix.class, name = "stripPrefix"),
  @JsonSubTypes.Type(value = KeyRule.AddPrefix.class, name = "addPrefix"),
  @JsonSubTypes.Type(value = KeyRule.RegexRename.class, name = "regex")
})
public sealed interface KeyRule
    permits KeyRule.StripPrefix, KeyRule.AddPrefix, KeyRule.RegexRename {

  /** The rule's name in the API: {@code stripPrefix}, {@code addPrefix} or {@code regex}. */
  @JsonIgnore
  String type();

  /**
   * Rewrites one key.
   *
   * @param key a checkpoint key, possibly already rewritten by earlier rules
   * @return the rewritten key, or {@code key} itself when the rule does not apply
   */
  String apply(String key);

  /**
   * Rewrites one {@code _metadata} module prefix ({@code ""} for the root, {@code "layer1.0.bn1"})
   * as the keys of that module's tensors are rewritten.
   *
   * @param module the module prefix without a trailing dot
   * @return the rewritten prefix without a trailing dot
   */
  default String applyToModule(String module) {
    String dotted = module.isEmpty() ? "" : module + ".";
    String rewritten = apply(dotted);
    if (rewritten.equals(dotted)) {
      return module;
    }
    return rewritten.endsWith(".") ? rewritten.substring(0, rewritten.length() - 1) : rewritten;
  }

  /**
   * Removes a prefix from the keys that start with it, as {@code
   * consume_prefix_in_state_dict_if_present} does ({@code module.} for DataParallel).
   *
   * @param prefix the prefix, usually ending with a dot
   */
  record StripPrefix(String prefix) implements KeyRule {

    /** Checks the prefix is not empty. */
    public StripPrefix {
      if (prefix == null || prefix.isEmpty()) {
        throw new IllegalArgumentException("stripPrefix needs a non-empty prefix");
      }
    }

    @Override
    public String type() {
      return "stripPrefix";
    }

    @Override
    public String apply(String key) {
      return key.startsWith(prefix) ? key.substring(prefix.length()) : key;
    }
  }

  /**
   * Puts a prefix in front of every key.
   *
   * @param prefix the prefix, usually ending with a dot
   */
  record AddPrefix(String prefix) implements KeyRule {

    /** Checks the prefix is not empty. */
    public AddPrefix {
      if (prefix == null || prefix.isEmpty()) {
        throw new IllegalArgumentException("addPrefix needs a non-empty prefix");
      }
    }

    @Override
    public String type() {
      return "addPrefix";
    }

    @Override
    public String apply(String key) {
      return prefix + key;
    }

    @Override
    public String applyToModule(String module) {
      String p = prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
      return module.isEmpty() ? p : prefix + module;
    }
  }

  /**
   * Rewrites keys with a Java regular expression: {@code key.replaceAll(pattern, replacement)},
   * {@code $1} naming groups.
   *
   * @param pattern the expression, Java syntax
   * @param replacement the replacement, Java {@link Matcher#replaceAll(String)} syntax
   */
  record RegexRename(String pattern, String replacement) implements KeyRule {

    /**
     * Checks the expression compiles.
     *
     * @throws IllegalArgumentException when the pattern is not a valid Java regular expression
     */
    public RegexRename {
      Objects.requireNonNull(replacement, "replacement");
      Compiled.of(pattern);
    }

    @Override
    public String type() {
      return "regex";
    }

    @Override
    public String apply(String key) {
      return Compiled.of(pattern).matcher(key).replaceAll(replacement);
    }
  }

  /** Keeps compiled patterns so rules stay plain records. */
  final class Compiled {
    private static final java.util.Map<String, Pattern> CACHE =
        new java.util.concurrent.ConcurrentHashMap<>();

    private Compiled() {}

    static Pattern of(String pattern) {
      Objects.requireNonNull(pattern, "pattern");
      Pattern p = CACHE.get(pattern);
      if (p == null) {
        p = Pattern.compile(pattern);
        if (CACHE.size() < 1024) {
          CACHE.put(pattern, p);
        }
      }
      return p;
    }
  }
}
