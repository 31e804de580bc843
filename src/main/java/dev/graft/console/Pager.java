package dev.graft.console;

import dev.graft.shared.PageResponse;

/**
 * Paging links for a list page.
 *
 * @param page the zero-based page shown
 * @param size items per page
 * @param total items over all pages
 * @param shown items on this page
 */
public record Pager(int page, int size, long total, int shown) {

  static final int SIZE = 50;

  static Pager of(PageResponse<?> p) {
    return new Pager(p.page(), p.size(), p.total(), p.items().size());
  }

  public boolean hasPrevious() {
    return page > 0;
  }

  public boolean hasNext() {
    return (long) (page + 1) * size < total;
  }

  public long from() {
    return shown == 0 ? 0 : (long) page * size + 1;
  }

  public long to() {
    return (long) page * size + shown;
  }
}
