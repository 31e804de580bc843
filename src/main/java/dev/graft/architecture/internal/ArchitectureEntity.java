package dev.graft.architecture.internal;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A stored architecture's row. */
@Entity
@Table(name = "architecture")
public class ArchitectureEntity {

  @Id private UUID id;

  @Column(nullable = false)
  private String name;

  @Column(nullable = false)
  private String source;

  @Column(nullable = false, length = 64)
  private String sha256;

  @Column(name = "size_bytes", nullable = false)
  private long sizeBytes;

  @Column(name = "entry_count", nullable = false)
  private int entryCount;

  @Column(nullable = false)
  private long numel;

  @Column(name = "trainable_numel", nullable = false)
  private long trainableNumel;

  @Column(name = "has_initial_values", nullable = false)
  private boolean hasInitialValues;

  @Column(name = "created_at", nullable = false)
  private Instant createdAt;

  protected ArchitectureEntity() {}

  public ArchitectureEntity(
      UUID id,
      String name,
      String source,
      String sha256,
      long sizeBytes,
      int entryCount,
      long numel,
      long trainableNumel,
      boolean hasInitialValues,
      Instant createdAt) {
    this.id = id;
    this.name = name;
    this.source = source;
    this.sha256 = sha256;
    this.sizeBytes = sizeBytes;
    this.entryCount = entryCount;
    this.numel = numel;
    this.trainableNumel = trainableNumel;
    this.hasInitialValues = hasInitialValues;
    this.createdAt = createdAt;
  }

  public UUID getId() {
    return id;
  }

  public String getName() {
    return name;
  }

  public String getSource() {
    return source;
  }

  public String getSha256() {
    return sha256;
  }

  public long getSizeBytes() {
    return sizeBytes;
  }

  public int getEntryCount() {
    return entryCount;
  }

  public long getNumel() {
    return numel;
  }

  public long getTrainableNumel() {
    return trainableNumel;
  }

  public boolean isHasInitialValues() {
    return hasInitialValues;
  }

  public Instant getCreatedAt() {
    return createdAt;
  }
}
