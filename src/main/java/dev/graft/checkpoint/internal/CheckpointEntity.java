package dev.graft.checkpoint.internal;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A stored checkpoint's row. JSON-valued columns hold plain data serialised by the service. */
@Entity
@Table(name = "checkpoint")
public class CheckpointEntity {

  @Id private UUID id;

  @Column(nullable = false)
  private String name;

  @Column(nullable = false, length = 64)
  private String sha256;

  @Column(name = "size_bytes", nullable = false)
  private long sizeBytes;

  @Column(nullable = false)
  private String format;

  @Column(name = "state_dict_path", nullable = false)
  private String stateDictPath;

  @Column(name = "tensor_count", nullable = false)
  private int tensorCount;

  @Column(nullable = false)
  private long numel;

  @Column(nullable = false, columnDefinition = "text")
  private String dtypes;

  @Column(nullable = false, columnDefinition = "text")
  private String metadata;

  @Column(name = "module_versions", nullable = false, columnDefinition = "text")
  private String moduleVersions;

  @Column(name = "created_at", nullable = false)
  private Instant createdAt;

  protected CheckpointEntity() {}

  public CheckpointEntity(
      UUID id,
      String name,
      String sha256,
      long sizeBytes,
      String format,
      String stateDictPath,
      int tensorCount,
      long numel,
      String dtypes,
      String metadata,
      String moduleVersions,
      Instant createdAt) {
    this.id = id;
    this.name = name;
    this.sha256 = sha256;
    this.sizeBytes = sizeBytes;
    this.format = format;
    this.stateDictPath = stateDictPath;
    this.tensorCount = tensorCount;
    this.numel = numel;
    this.dtypes = dtypes;
    this.metadata = metadata;
    this.moduleVersions = moduleVersions;
    this.createdAt = createdAt;
  }

  public UUID getId() {
    return id;
  }

  public String getName() {
    return name;
  }

  public String getSha256() {
    return sha256;
  }

  public long getSizeBytes() {
    return sizeBytes;
  }

  public String getFormat() {
    return format;
  }

  public String getStateDictPath() {
    return stateDictPath;
  }

  public int getTensorCount() {
    return tensorCount;
  }

  public long getNumel() {
    return numel;
  }

  public String getDtypes() {
    return dtypes;
  }

  public String getMetadata() {
    return metadata;
  }

  public String getModuleVersions() {
    return moduleVersions;
  }

  public Instant getCreatedAt() {
    return createdAt;
  }
}
