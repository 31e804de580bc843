package dev.graft.shared;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.function.Function;

/**
 * One page of a list, as every list endpoint returns it.
 *
 * @param items the page's items
 * @param page the zero-based page number
 * @param size the requested page size
 * @param total the number of items over all pages
 */
@Schema(requiredProperties = {"items", "page", "size", "total"})
public record PageResponse<T>(List<T> items, int page, int size, long total) {

  /** Maps the items, keeping the paging fields. */
  public <R> PageResponse<R> map(Function<T, R> f) {
    return new PageResponse<>(items.stream().map(f).toList(), page, size, total);
  }
}
