package io.mqttkafka.bridge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The objects of one {@code helm template} output of the bridge chart, parsed from its multi-document
 * YAML, with accessors for the parts the chart tests look at.
 *
 * @param fullname the release's full name: the name of the Deployment and the bridge ConfigMap
 */
record RenderedChart(String fullname, List<JsonNode> objects) {

  static final YAMLMapper YAML = new YAMLMapper();

  static RenderedChart parse(String fullname, String manifests) {
    List<JsonNode> objects = new ArrayList<>();
    try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(manifests)) {
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc != null && doc.isObject()) { // a template that renders nothing leaves an empty document
          objects.add(doc);
        }
      }
    } catch (IOException e) {
      throw new AssertionError("helm template output is not valid YAML: " + e.getMessage(), e);
    }
    return new RenderedChart(fullname, List.copyOf(objects));
  }

  /** "Kind/name" of every object. */
  List<String> names() {
    return objects.stream().map(o -> o.path("kind").asText() + "/" + o.at("/metadata/name").asText()).toList();
  }

  List<JsonNode> all(String kind) {
    return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
  }

  JsonNode object(String kind, String name) {
    List<JsonNode> found = all(kind).stream().filter(o -> o.at("/metadata/name").asText().equals(name)).toList();
    assertThat(found).as("%s/%s among %s", kind, name, names()).hasSize(1);
    return found.get(0);
  }

  JsonNode deployment() {
    return object("Deployment", fullname);
  }

  JsonNode podSpec() {
    return deployment().at("/spec/template/spec");
  }

  /** The bridge container, the pod's only one. */
  JsonNode container() {
    JsonNode containers = podSpec().path("containers");
    assertThat(containers).hasSize(1);
    return containers.get(0);
  }

  String podTemplateAnnotation(String name) {
    return deployment().at("/spec/template/metadata/annotations").path(name).asText();
  }

  /** config.yaml of the ConfigMap the pod mounts, parsed. */
  ObjectNode bridgeConfig() {
    JsonNode text = object("ConfigMap", fullname).at("/data/config.yaml");
    assertThat(text.isTextual()).as("ConfigMap %s has data.config.yaml", fullname).isTrue();
    try {
      JsonNode config = YAML.readTree(text.asText());
      assertThat(config.isObject()).as("config.yaml is a YAML map").isTrue();
      return (ObjectNode) config;
    } catch (IOException e) {
      throw new AssertionError("config.yaml is not valid YAML: " + e.getMessage(), e);
    }
  }

  /** The container's env entries by name; each name at most once. */
  ObjectNode env() {
    ObjectNode byName = YAML.createObjectNode();
    container().path("env").forEach(e -> {
      String name = e.path("name").asText();
      assertThat(byName.has(name)).as("env %s set twice", name).isFalse();
      byName.set(name, e);
    });
    return byName;
  }

  /** Container port name -> number, in order. */
  Map<String, Integer> containerPorts() {
    Map<String, Integer> ports = new LinkedHashMap<>();
    container().path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
    return ports;
  }

  /** Service port name -> number, in order. */
  static Map<String, Integer> servicePorts(JsonNode serviceSpec) {
    Map<String, Integer> ports = new LinkedHashMap<>();
    serviceSpec.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("port").asInt()));
    return ports;
  }

  JsonNode volume(String name) {
    return named(podSpec().path("volumes"), name, "volume");
  }

  JsonNode volumeMount(String name) {
    return named(container().path("volumeMounts"), name, "volumeMount");
  }

  List<String> volumeNames() {
    return podSpec().path("volumes").findValuesAsText("name");
  }

  List<String> volumeMountNames() {
    return container().path("volumeMounts").findValuesAsText("name");
  }

  /** Whether a label selector selects an object with these labels. */
  static boolean selects(JsonNode matchLabels, JsonNode labels) {
    return matchLabels.properties().stream()
        .allMatch(e -> labels.path(e.getKey()).asText().equals(e.getValue().asText()));
  }

  private static JsonNode named(JsonNode list, String name, String what) {
    for (JsonNode item : list) {
      if (item.path("name").asText().equals(name)) {
        return item;
      }
    }
    throw new AssertionError("no " + what + " named " + name + " in " + list);
  }
}
