package dev.graft.checkpoint.internal;

import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;

/** Checkpoint rows. */
public interface CheckpointRepository extends JpaRepository<CheckpointEntity, UUID> {

  Optional<CheckpointEntity> findBySha256(String sha256);

  boolean existsBySha256(String sha256);

  Page<CheckpointEntity> findByNameContainingIgnoreCase(String q, Pageable pageable);
}
