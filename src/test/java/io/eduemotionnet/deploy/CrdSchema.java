package io.eduemotionnet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi30;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A real CustomResourceDefinition from ../shared/crds as a JSON schema validator for rendered objects.
 *
 * <p>A CRD's openAPIV3Schema is an OpenAPI 3.0 schema object (draft-04 style), validated here with
 * networknt's OpenAPI 3.0 dialect; the x-kubernetes-* extensions are unknown keywords to it and
 * ignored, except where their meaning is turned into JSON schema:
 * <ul>
 *   <li>objects with properties are closed (additionalProperties: false) unless they carry
 *       x-kubernetes-preserve-unknown-fields: kubectl's default strict field validation rejects
 *       unknown fields, and without this a misspelt field would pass unnoticed;</li>
 *   <li>x-kubernetes-int-or-string without its anyOf gets anyOf [integer, string];</li>
 *   <li>x-kubernetes-list-type: set becomes uniqueItems.</li>
 * </ul>
 * Not checked: metadata (the API server validates ObjectMeta itself), list-map key uniqueness and
 * CEL rules (x-kubernetes-validations; none in these CRDs).
 */
final class CrdSchema {
    static final Path CRDS = Path.of("..", "shared", "crds");
    /** OpenAPI 3.0's dialect, told that the Kubernetes extensions are known and validate nothing by themselves. */
    private static final JsonMetaSchema DIALECT = JsonMetaSchema.builder(OpenApi30.getInstance())
            .keywords(Stream.of("x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string",
                            "x-kubernetes-embedded-resource", "x-kubernetes-map-type", "x-kubernetes-list-type",
                            "x-kubernetes-list-map-keys", "x-kubernetes-validations")
                    .map(NonValidationKeyword::new).toList())
            .build();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4,
            b -> b.metaSchema(DIALECT).defaultMetaSchemaIri(DIALECT.getIri()));

    final String group;
    final String kind;
    private final Map<String, JsonSchema> servedVersions = new TreeMap<>();

    private CrdSchema(JsonNode crd) {
        group = crd.path("spec").path("group").asText();
        kind = crd.path("spec").path("names").path("kind").asText();
        for (JsonNode version : crd.path("spec").path("versions")) {
            if (version.path("served").asBoolean()) {
                JsonNode openApi = version.path("schema").path("openAPIV3Schema");
                servedVersions.put(version.path("name").asText(), FACTORY.getSchema(toJsonSchema(openApi)));
            }
        }
    }

    static CrdSchema load(String fileName) {
        Path file = CRDS.resolve(fileName);
        if (!Files.isRegularFile(file)) {
            throw new AssertionError("CRD " + file.toAbsolutePath().normalize()
                    + " not found: the tests expect ../shared beside the project, as in CI");
        }
        try {
            return new CrdSchema(Chart.YAML.readTree(file.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Problems of an object against this CRD: apiVersion and kind, then the served version's schema. */
    List<String> validate(JsonNode object) {
        List<String> problems = new ArrayList<>();
        String apiVersion = object.path("apiVersion").asText();
        if (!kind.equals(object.path("kind").asText())) {
            problems.add("kind " + object.path("kind") + " is not " + kind);
        }
        JsonSchema schema = apiVersion.startsWith(group + "/")
                ? servedVersions.get(apiVersion.substring(group.length() + 1)) : null;
        if (schema == null) {
            problems.add("apiVersion " + apiVersion + " is not served by this CRD: " + group + "/" + servedVersions.keySet());
            return problems;
        }
        for (ValidationMessage m : schema.validate(object)) {
            problems.add(m.getMessage());
        }
        return problems;
    }

    /** A copy of the CRD's schema with the x-kubernetes-* rules above spelt out in JSON schema. */
    static JsonNode toJsonSchema(JsonNode openApi) {
        ObjectNode copy = openApi.deepCopy();
        // every object may carry these at its root, whether the CRD lists them or not (Fabric8's don't)
        ObjectNode properties = copy.with("properties");
        if (!properties.has("apiVersion")) {
            properties.putObject("apiVersion").put("type", "string");
        }
        if (!properties.has("kind")) {
            properties.putObject("kind").put("type", "string");
        }
        if (!properties.has("metadata")) {
            properties.putObject("metadata").put("type", "object");
        }
        translate(copy);
        return copy;
    }

    private static void translate(JsonNode node) {
        if (!(node instanceof ObjectNode schema)) {
            return;
        }
        boolean preserveUnknown = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        if (schema.has("properties") && !schema.has("additionalProperties") && !preserveUnknown) {
            schema.put("additionalProperties", false);
        }
        if (schema.path("x-kubernetes-int-or-string").asBoolean(false) && !schema.has("anyOf") && !schema.has("type")) {
            ArrayNode anyOf = schema.putArray("anyOf");
            anyOf.addObject().put("type", "integer");
            anyOf.addObject().put("type", "string");
        }
        if ("set".equals(schema.path("x-kubernetes-list-type").asText())) {
            schema.put("uniqueItems", true);
        }
        schema.path("properties").forEach(CrdSchema::translate);
        translate(schema.path("items"));
        translate(schema.path("additionalProperties"));
        translate(schema.path("not"));
        for (String combinator : List.of("anyOf", "allOf", "oneOf")) {
            schema.path(combinator).forEach(CrdSchema::translate);
        }
    }
}
