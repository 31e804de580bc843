# syntax=docker/dockerfile:1
#
# One image for both roles (GRAFT_ROLES=api | worker | api,worker).
#
#   docker build -t graft .                                   # CPU (DJL's CPU build of libtorch)
#   docker build -t graft:cuda --build-arg MAVEN_PROFILES=cuda \
#     --build-arg RUNTIME_BASE=nvidia/cuda:12.4.1-base-ubuntu22.04 .   # GPU workers
#
# The CUDA variant differs only in the Maven profile (pytorch-native-cu124, which bundles the CUDA
# runtime libraries libtorch needs) and the base image (NVIDIA's, so the container toolkit mounts
# the host driver). The image turns the embedded PostgreSQL off: without SPRING_DATASOURCE_URL
# the process stops at start-up saying what to set.

ARG RUNTIME_BASE=ubuntu:24.04
ARG JDK_IMAGE=eclipse-temurin:17-jdk-noble
ARG JRE_IMAGE=eclipse-temurin:17-jre-noble

# ---- build: the Maven wrapper, dependencies in a layer of their own ------------------------------
FROM ${JDK_IMAGE} AS build
ARG MAVEN_PROFILES=
WORKDIR /build
COPY mvnw pom.xml ./
COPY .mvn .mvn
# Changes only with pom.xml: the dependencies (2.4 GB of them with the cuda profile) stay cached.
RUN ./mvnw -B -q ${MAVEN_PROFILES:+-P${MAVEN_PROFILES}} dependency:go-offline
COPY src/main src/main
RUN ./mvnw -B -q ${MAVEN_PROFILES:+-P${MAVEN_PROFILES}} -Dmaven.test.skip=true package \
 && mkdir /extracted \
 && java -Djarmode=tools -jar target/graft-*.jar extract --layers --launcher --destination /extracted

# ---- the JRE, copied onto either base -------------------------------------------------------------
FROM ${JRE_IMAGE} AS jre

# ---- runtime -------------------------------------------------------------------------------------
FROM ${RUNTIME_BASE}
ENV JAVA_HOME=/opt/java/openjdk \
    PATH=/opt/java/openjdk/bin:$PATH \
    LANG=C.UTF-8 \
    GRAFT_EMBEDDEDDATABASE=false \
    GRAFT_DATADIR=/data \
    DJL_CACHE_DIR=/data/.djl \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
COPY --from=jre /opt/java/openjdk /opt/java/openjdk
RUN groupadd --system --gid 10001 graft \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin graft \
 && mkdir -p /data \
 && chown 10001:10001 /data
COPY docker/healthcheck.sh /usr/local/bin/graft-healthcheck
WORKDIR /app
# Least-changing first, so a code change rebuilds only the last layer.
COPY --from=build /extracted/dependencies/ ./
COPY --from=build /extracted/spring-boot-loader/ ./
COPY --from=build /extracted/snapshot-dependencies/ ./
COPY --from=build /extracted/application/ ./
# Work folders, upload staging and DJL's extracted native library; blobs go to S3 in production.
VOLUME /data
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=4 CMD ["graft-healthcheck"]
# Container-aware heap: half the container's memory, leaving the rest to libtorch, direct buffers
# and memory-mapped checkpoints. No -XX:+ExitOnOutOfMemoryError: a run that exhausts the heap ends
# its attempt, not the worker. Add flags with JAVA_TOOL_OPTIONS.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50.0", "-XX:+UseG1GC", "-Dfile.encoding=UTF-8", \
            "-cp", "/app", "org.springframework.boot.loader.launch.JarLauncher"]
