package dev.graft.plan;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.swagger.v3.oas.annotations.media.DiscriminatorMapping;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * A rewrite applied to checkpoint keys before they are matched against the target, and to the
 * checkpoint's {@code _metadata} module prefixes in the same way.
 *
 * <p>In the API a rule is {@code {"type": "stripPrefix"|"addPrefix"|"regex", ...}}; {@link #type()}
 * gives that name. The Jackson annotations (metadata only: nothing in this package calls Jackson)
 * let the web layer read and write rules in exactly that shape.
 *
 * <p>Rules are plain data: {@link LoadOptions} checks them when options are built (and names the
 * rule that is wrong), and the planner compiles them once per plan. {@link #apply(String)} checks
 * and compiles the rule on every call, for a single key.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = KeyRule.StripPrefix.class, name = "stripPrefix"),
  @JsonSubTypes.Type(value = KeyRule.AddPrefix.class, name = "addPrefix"),
  @JsonSubTypes.Type(value = KeyRule.RegexRename.class, name = "regex")
})
@Schema(
    name = "KeyRule",
    description = "A rewrite of checkpoint keys; type says which",
    oneOf = {KeyRule.StripPrefix.class, KeyRule.AddPrefix.class, KeyRule.RegexRename.class},
    discriminatorProperty = "type",
    discriminatorMapping = {
      @DiscriminatorMapping(value = "stripPrefix", schema = KeyRule.StripPrefix.class),
      @DiscriminatorMapping(value = "addPrefix", schema = KeyRule.AddPrefix.class),
      @DiscriminatorMapping(value = "regex", schema = KeyRule.RegexRename.class)
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
   * @throws LoadOptionsRejected when the rule is invalid, or would make the key longer than {@link
   *     LoadOptions#MAX_KEY_BYTES}
   */
  default String apply(String key) {
    return KeyRules.compile(this).apply(key);
  }

  /**
   * Rewrites one {@code _metadata} module prefix ({@code ""} for the root, {@code "layer1.0.bn1"})
   * as the keys of that module's tensors are rewritten: {@code addPrefix "backbone."} makes the
   * root {@code backbone}; other rules rewrite {@code module + "."} and drop the trailing dot.
   *
   * @param module the module prefix without a trailing dot
   * @return the rewritten prefix without a trailing dot
   * @throws LoadOptionsRejected as {@link #apply(String)}
   */
  default String applyToModule(String module) {
    return KeyRules.compile(this).applyToModule(module);
  }

  /**
   * Removes a prefix from the keys that start with it, as {@code
   * consume_prefix_in_state_dict_if_present} does ({@code module.} for DataParallel).
   *
   * @param prefix the prefix, usually ending with a dot; not empty
   */
  @Schema(
      name = "StripPrefixRule",
      description = "Removes a prefix from the keys that start with it",
      requiredProperties = {"type", "prefix"})
  record StripPrefix(@Schema(example = "module.") String prefix) implements KeyRule {

    @Override
    public String type() {
      return "stripPrefix";
    }
  }

  /**
   * Puts a prefix in front of every key.
   *
   * @param prefix the prefix, usually ending with a dot; not empty
   */
  @Schema(
      name = "AddPrefixRule",
      description = "Puts a prefix in front of every key",
      requiredProperties = {"type", "prefix"})
  record AddPrefix(@Schema(example = "backbone.") String prefix) implements KeyRule {

    @Override
    public String type() {
      return "addPrefix";
    }
  }

  /**
   * Rewrites keys with a regular expression, as {@code key.replaceAll(pattern, replacement)} does
   * in Java: Java syntax, {@code $1} and {@code ${name}} naming groups, {@code \$} and {@code \\}
   * escaping. Matching runs on RE2/J, in time linear in the key's length, so constructs that need
   * backtracking (backreferences, lookaround, possessive quantifiers) are refused.
   *
   * @param pattern the expression, Java syntax
   * @param replacement the replacement, {@link java.util.regex.Matcher#replaceAll(String)} syntax
   */
  @Schema(
      name = "RegexRule",
      description =
          "Rewrites keys as key.replaceAll(pattern, replacement) does in Java; matching runs in"
              + " linear time, so backreferences and lookaround are refused",
      requiredProperties = {"type", "pattern", "replacement"})
  record RegexRename(
      @Schema(example = "^layer(\\d+)\\.") String pattern,
      @Schema(example = "layers.$1.") String replacement)
      implements KeyRule {

    @Override
    public String type() {
      return "regex";
    }
  }
}
