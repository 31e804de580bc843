package dev.graft.shared;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * A small LRU cache for the indexes of immutable resources (a checkpoint's tensors, an
 * architecture's entries), bounded by the number of entries they hold rather than by count, so that
 * repeated previews of large models do not read tens of thousands of rows each time. Deleting the
 * resource must {@link #evict} it.
 */
public final class IndexCache<V> {

  private final long maxWeight;
  private final ToLongFunction<V> weigher;
  private final LinkedHashMap<UUID, V> map = new LinkedHashMap<>(16, 0.75f, true);
  private long weight;
  private final java.util.concurrent.atomic.LongAdder hits =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder misses =
      new java.util.concurrent.atomic.LongAdder();

  /**
   * @param maxWeight the most entries held over all cached values
   * @param weigher a value's weight (its entry count)
   */
  public IndexCache(long maxWeight, ToLongFunction<V> weigher) {
    this.maxWeight = maxWeight;
    this.weigher = weigher;
  }

  /**
   * The cached value, or the loaded one (cached when it fits). Loading happens outside the lock.
   */
  public V get(UUID id, Function<UUID, V> loader) {
    synchronized (this) {
      V v = map.get(id);
      if (v != null) {
        hits.increment();
        return v;
      }
    }
    misses.increment();
    V loaded = loader.apply(id);
    long w = weigher.applyAsLong(loaded);
    if (w <= maxWeight) {
      synchronized (this) {
        V previous = map.put(id, loaded);
        weight += w - (previous == null ? 0 : weigher.applyAsLong(previous));
        var it = map.entrySet().iterator();
        while (weight > maxWeight && it.hasNext()) {
          Map.Entry<UUID, V> eldest = it.next();
          weight -= weigher.applyAsLong(eldest.getValue());
          it.remove();
        }
      }
    }
    return loaded;
  }

  /**
   * Counts this cache's lookups in {@code graft.index.cache} (tags {@code cache}, {@code result}
   * hit or miss).
   *
   * @return this cache
   */
  public IndexCache<V> monitor(io.micrometer.core.instrument.MeterRegistry registry, String name) {
    io.micrometer.core.instrument.FunctionCounter.builder(
            "graft.index.cache", hits, java.util.concurrent.atomic.LongAdder::sum)
        .description("index cache lookups")
        .tag("cache", name)
        .tag("result", "hit")
        .register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder(
            "graft.index.cache", misses, java.util.concurrent.atomic.LongAdder::sum)
        .description("index cache lookups")
        .tag("cache", name)
        .tag("result", "miss")
        .register(registry);
    return this;
  }

  /** Forgets a value. */
  public synchronized void evict(UUID id) {
    V v = map.remove(id);
    if (v != null) {
      weight -= weigher.applyAsLong(v);
    }
  }
}
