# Osprey: one image for every service (osprey ingest | classifier | trainer | train ...).
# Untested here (no Docker engine on the development machines); see docs/OPERATIONS.md.

# ---- build: the shaded app/target/osprey.jar ----------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# The POMs first, with empty sources, so the dependency download is a layer of
# its own that only a POM change invalidates.
COPY pom.xml ./
COPY core/pom.xml core/
COPY broker/pom.xml broker/
COPY ingest/pom.xml ingest/
COPY classifier/pom.xml classifier/
COPY trainer/pom.xml trainer/
COPY app/pom.xml app/
COPY bench/pom.xml bench/
RUN mvn -B -q -DskipTests package \
 && rm -rf */target
COPY . .
RUN mvn -B -DskipTests package

# ---- runtime -----------------------------------------------------------------
FROM eclipse-temurin:17-jre
# The directories that compose mounts volumes on exist here, owned by osprey: a new named
# volume takes the owner of the directory it is mounted on.
RUN groupadd --system osprey \
 && useradd --system --gid osprey --create-home --home-dir /var/lib/osprey osprey \
 && mkdir -p /var/lib/osprey/djl /var/lib/osprey/init /var/lib/osprey/streams \
 && chown -R osprey:osprey /var/lib/osprey
COPY --from=build /src/app/target/osprey.jar /opt/osprey/osprey.jar
COPY deploy/docker/osprey-health /usr/local/bin/osprey-health
# DJL unpacks libtorch (~430 MB) here on the first start of a container.
# Outside a container Osprey binds 127.0.0.1; inside one, loopback is unreachable from the host and
# from Prometheus, so the image binds every interface. The HTTP APIs then refuse to start without a
# token (OSPREY_API_TOKEN or --token-file) unless the command says --no-auth (docs/OPERATIONS.md).
ENV OSPREY_HTTP_HOST=0.0.0.0 \
    OSPREY_METRICS_HOST=0.0.0.0 \
    DJL_CACHE_DIR=/var/lib/osprey/djl \
    OMP_WAIT_POLICY=PASSIVE \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError"
USER osprey
WORKDIR /var/lib/osprey
# 8080 ingest API, 8081 trainer API, 9401-9403 /metrics /healthz /readyz
EXPOSE 8080 8081 9401 9402 9403
ENTRYPOINT ["java", "-jar", "/opt/osprey/osprey.jar"]
CMD ["--help"]
