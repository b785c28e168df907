# Build: the Maven Wrapper in a JDK image; run: the repackaged jar on a JRE.
FROM eclipse-temurin:21-jdk AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY ledger-core/pom.xml ledger-core/
COPY projections/pom.xml projections/
COPY delivery/pom.xml delivery/
COPY gateway-api/pom.xml gateway-api/
RUN ./mvnw -B -q dependency:go-offline -DexcludeGroupIds=dev.ledgerflow || true
COPY ledger-core/ ledger-core/
COPY projections/ projections/
COPY delivery/ delivery/
COPY gateway-api/ gateway-api/
RUN ./mvnw -B -q package -DskipTests && cp gateway-api/target/gateway-api-*.jar /ledgerflow.jar

FROM eclipse-temurin:21-jre
RUN useradd --system --uid 10001 ledgerflow
USER ledgerflow
COPY --from=build /ledgerflow.jar /app/ledgerflow.jar
EXPOSE 8080
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
ENTRYPOINT ["java", "-jar", "/app/ledgerflow.jar"]
