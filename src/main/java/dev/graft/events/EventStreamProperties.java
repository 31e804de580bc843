package dev.graft.events;

import jakarta.validation.constraints.Min;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Settings of the server-sent event streams ({@code GET /api/v1/warm-starts/{id}/events}), under
 * {@code graft.events.*}.
 *
 * @param maxStreams streams this process serves at once; more are answered 429 with {@code
 *     Retry-After}
 * @param pollInterval how often a stream reads its run's row (progress comes from the database, so
 *     any API replica serves any run); half the worker heartbeat catches every beat
 * @param maxDuration how long one stream stays open; it then ends without a {@code status} event
 *     and the client reconnects with {@code Last-Event-ID}
 */
@ConfigurationProperties("graft.events")
@Validated
public record EventStreamProperties(
    @DefaultValue("100") @Min(value = 1, message = "must be at least 1") int maxStreams,
    @DefaultValue("1s") @DurationMin(millis = 1, message = "must be longer than 0")
        Duration pollInterval,
    @DefaultValue("30m") @DurationMin(millis = 1, message = "must be longer than 0")
        Duration maxDuration) {}
