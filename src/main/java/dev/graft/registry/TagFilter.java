package dev.graft.registry;

import dev.graft.shared.InvalidInput;
import java.util.List;

/**
 * A {@code tag=key:value} filter: a version matches when its tag {@code key} equals {@code value}.
 *
 * @param key the tag's key
 * @param value the tag's value (may be empty)
 */
public record TagFilter(String key, String value) {

  /**
   * Parses {@code key:value}, split at the first colon.
   *
   * @throws InvalidInput (field {@code tag}) when there is no colon or the key is empty
   */
  public static TagFilter parse(String s) {
    int colon = s == null ? -1 : s.indexOf(':');
    if (colon <= 0) {
      throw new InvalidInput(
          "tag",
          "must be key:value, such as tag=stage:prod; was " + dev.graft.shared.Texts.quote(s));
    }
    if (colon > 255 || s.length() - colon - 1 > 4096) {
      throw new InvalidInput("tag", "keys are at most 255 characters and values at most 4096");
    }
    return new TagFilter(s.substring(0, colon), s.substring(colon + 1));
  }

  /**
   * Parses every given filter; {@code null} is none.
   *
   * @throws InvalidInput (field {@code tag}) when one is malformed
   */
  public static List<TagFilter> parseAll(List<String> tags) {
    if (tags != null && tags.size() > 20) {
      throw new InvalidInput("tag", "at most 20 tag filters, were " + tags.size());
    }
    return tags == null ? List.of() : tags.stream().map(TagFilter::parse).toList();
  }
}
