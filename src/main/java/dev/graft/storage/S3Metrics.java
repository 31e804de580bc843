package dev.graft.storage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Counts S3 calls by operation and outcome ({@code graft.s3.requests}) and failed ones ({@code
 * graft.s3.errors}), as the SDK sees them (one per call, retries included in the call).
 */
final class S3Metrics implements ExecutionInterceptor {

  private final MeterRegistry registry;

  S3Metrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
    requests(attributes, "ok").increment();
  }

  @Override
  public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
    requests(attributes, "error").increment();
    Counter.builder("graft.s3.errors")
        .description("S3 calls that failed")
        .tag("operation", operation(attributes))
        .tag("exception", context.exception().getClass().getSimpleName())
        .register(registry)
        .increment();
  }

  private Counter requests(ExecutionAttributes attributes, String outcome) {
    return Counter.builder("graft.s3.requests")
        .description("S3 calls made")
        .tag("operation", operation(attributes))
        .tag("outcome", outcome)
        .register(registry);
  }

  private static String operation(ExecutionAttributes attributes) {
    String op = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    return op == null ? "unknown" : op;
  }
}
