package io.mqttkafka.bridge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Text checks of the Dockerfile: no Docker engine is available to the build, so the image is
 * never built here. These pin what the Helm chart and the operators rely on.
 */
class DockerfileTest {

  private static final Path ROOT = Path.of(System.getProperty("project.root", ".."));
  private static final Path DOCKERFILE = ROOT.resolve("Dockerfile");

  /** One Dockerfile instruction: upper-case keyword and its arguments, continuation lines joined. */
  record Instruction(String keyword, String args) {}

  @Test
  void buildsWithMavenAndRunsOnTheJre() throws IOException {
    List<List<Instruction>> stages = stages();

    assertThat(stages).hasSize(2);
    assertThat(stages.get(0).get(0).args()).isEqualTo("maven:3.9-eclipse-temurin-17 AS build");
    assertThat(args(stages.get(0), "RUN")).anyMatch(run -> run.endsWith("mvn -B -DskipTests package"));
    assertThat(stages.get(1).get(0).args()).isEqualTo("eclipse-temurin:17-jre");
    assertThat(args(stages.get(1), "COPY"))
        .contains("--from=build /build/dist/target/mqtt-kafka-bridge.jar ./mqtt-kafka-bridge.jar");
    assertThat(args(stages.get(1), "WORKDIR")).containsExactly("/opt/mqtt-kafka-bridge");
  }

  @Test
  void exposesEveryMqttListenerAndHttp() throws IOException {
    List<String> ports = args(runtimeStage(), "EXPOSE").stream()
        .flatMap(e -> List.of(e.split("\\s+")).stream())
        .toList();

    assertThat(ports).contains("1883", "8883", "8080", "8443", "9090");
  }

  @Test
  void runsAsANonRootUserThatOwnsTheDataDirectory() throws IOException {
    assertThat(runtimeUid()).isEqualTo(10001);
    assertThat(args(runtimeStage(), "RUN"))
        .anyMatch(run -> run.contains("chown 10001:10001 /opt/mqtt-kafka-bridge/data"));
  }

  @Test
  void entrypointIsExecFormJavaWithContainerAwareMemoryAndTheJar() throws IOException {
    List<String> entrypoint = args(runtimeStage(), "ENTRYPOINT");
    assertThat(entrypoint).hasSize(1);
    // Exec form is a JSON array: java is PID 1 and gets SIGTERM, with no shell in between.
    assertThat(entrypoint.get(0)).startsWith("[");
    List<String> argv = List.of(new ObjectMapper().readValue(entrypoint.get(0), String[].class));

    assertThat(argv.get(0)).isEqualTo("java");
    assertThat(argv).contains("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseG1GC");
    assertThat(argv.subList(argv.size() - 2, argv.size())).containsExactly("-jar", "mqtt-kafka-bridge.jar");
  }

  @Test
  void imageDoesNotPointAtAConfigFileItDoesNotHave() throws IOException {
    // The bridge refuses to start when the configured file is missing: MQTT_BRIDGE_CONFIG is set
    // by whoever mounts the file (docker run -e, the Helm chart).
    assertThat(args(runtimeStage(), "ENV")).noneMatch(env -> env.contains("MQTT_BRIDGE_CONFIG"));
  }

  @Test
  void buildContextHoldsOnlyWhatTheBuildStageCopies() throws IOException {
    List<String> patterns = Files.readAllLines(ROOT.resolve(".dockerignore")).stream()
        .map(String::strip)
        .filter(line -> !line.isEmpty() && !line.startsWith("#"))
        .toList();

    assertThat(patterns).containsExactly("*", "!pom.xml", "!*/pom.xml", "!*/src");
    // Every module of the reactor is copied, or the image build fails on a missing module.
    List<String> copies = new java.util.ArrayList<>(List.of("pom.xml ./"));
    for (String module : modules()) {
      copies.add(module + " ./" + module);
    }
    assertThat(args(stages().get(0), "COPY")).containsExactlyInAnyOrderElementsOf(copies);
  }

  /** The modules the parent pom lists. */
  private static List<String> modules() throws IOException {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("<module>([^<]+)</module>")
        .matcher(Files.readString(ROOT.resolve("pom.xml")));
    List<String> modules = new java.util.ArrayList<>();
    while (m.find()) {
      modules.add(m.group(1));
    }
    assertThat(modules).as("modules in pom.xml").isNotEmpty();
    return modules;
  }

  /** The numeric uid of the runtime stage's USER: what the Helm chart's runAsUser must match. */
  static int runtimeUid() throws IOException {
    List<String> users = args(runtimeStage(), "USER");
    assertThat(users).as("USER in the runtime stage").hasSize(1);
    String user = users.get(0).split(":")[0];
    assertThat(user).as("USER is numeric, so runAsNonRoot can verify it").matches("\\d+");
    int uid = Integer.parseInt(user);
    assertThat(uid).as("USER is not root").isNotZero();
    return uid;
  }

  private static List<Instruction> runtimeStage() throws IOException {
    List<List<Instruction>> stages = stages();
    return stages.get(stages.size() - 1);
  }

  private static List<String> args(List<Instruction> stage, String keyword) {
    return stage.stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::args).toList();
  }

  /** The instructions, split into build stages at each FROM. */
  private static List<List<Instruction>> stages() throws IOException {
    List<List<Instruction>> stages = new ArrayList<>();
    StringBuilder pending = new StringBuilder();
    for (String line : Files.readAllLines(DOCKERFILE)) {
      String stripped = line.strip();
      if (stripped.startsWith("#") || (stripped.isEmpty() && pending.length() == 0)) {
        continue;
      }
      if (stripped.endsWith("\\")) {
        pending.append(stripped, 0, stripped.length() - 1).append(' ');
        continue;
      }
      pending.append(stripped);
      String[] parts = pending.toString().strip().split("\\s+", 2);
      pending.setLength(0);
      Instruction instruction = new Instruction(parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1] : "");
      if (instruction.keyword().equals("FROM")) {
        stages.add(new ArrayList<>());
      }
      assertThat(stages).as("%s before the first FROM", instruction.keyword()).isNotEmpty();
      stages.get(stages.size() - 1).add(instruction);
    }
    return stages;
  }
}
