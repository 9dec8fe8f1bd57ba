package dev.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.core.Backend;
import dev.peft4j.models.testing.Reference;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each bad model directory is one clear {@link PeftException}; a sharded checkpoint loads like
 * the single file it was cut from.
 */
class LoadingErrorsTest {

    private static final Backend BACKEND = Backend.select("pytorch", "cpu", Plugins.defaults());

    @TempDir
    Path dir;

    private Path copyOf(String model) throws IOException {
        return copyResource(model, dir);
    }

    /**
     * A copy of a reference model directory.
     *
     * @param model the resource directory's name
     * @param dir where to put the copy
     * @return the copy
     */
    static Path copyResource(String model, Path dir) throws IOException {
        Path target = dir.resolve(model);
        Files.createDirectories(target);
        try (var files = Files.list(Reference.resource(model))) {
            for (Path file : files.toList()) {
                Files.copy(file, target.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return target;
    }

    private static String loadError(Path model) {
        return assertThrows(
                        PeftException.class, () -> CausalLm.load(model, BACKEND).close())
                .getMessage();
    }

    private static void editConfig(Path model, String key, com.google.gson.JsonElement value) throws IOException {
        Path config = model.resolve("config.json");
        JsonObject json = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
        json.add(key, value);
        Files.writeString(config, json.toString());
    }

    @Test
    void missingDirectoryAndConfig() throws IOException {
        assertTrue(loadError(dir.resolve("absent")).contains("does not exist"));
        Path model = copyOf("tiny-qwen2");
        Files.delete(model.resolve("config.json"));
        String message = loadError(model);
        assertTrue(message.contains("No config.json in " + model), message);
    }

    @Test
    void aRepeatedKeyInConfigJsonIsRefused() throws IOException {
        Path model = copyOf("tiny-qwen2");
        Path config = model.resolve("config.json");
        Files.writeString(config, Files.readString(config).replaceFirst("\\{", "{\"hidden_size\": 1, "));
        String message = loadError(model);
        assertTrue(message.contains(config + " is malformed JSON: the key \"hidden_size\" appears twice"), message);
    }

    @Test
    void unsupportedModelTypeListsTheSupportedOnes() throws IOException {
        Path model = copyOf("tiny-qwen2");
        editConfig(model, "model_type", new com.google.gson.JsonPrimitive("falcon"));
        String message = loadError(model);
        assertTrue(
                message.contains("model_type 'falcon' is not supported; supported: [llama, mistral, qwen2, gpt2]"),
                message);
    }

    @Test
    void unsupportedRopeScalingNamesTheType() throws IOException {
        Path model = copyOf("tiny-llama-gqa");
        JsonObject scaling = new JsonObject();
        scaling.addProperty("rope_type", "yarn");
        scaling.addProperty("factor", 4.0);
        editConfig(model, "rope_scaling", scaling);
        String message = loadError(model);
        assertTrue(message.contains("rope_scaling type 'yarn' is not supported; supported: [linear, llama3]"), message);
    }

    @Test
    void slidingWindowShorterThanTheInputIsRefused() throws IOException {
        Path model = copyOf("tiny-mistral-linear-rope");
        editConfig(model, "sliding_window", new com.google.gson.JsonPrimitive(4));
        try (CausalLm lm = CausalLm.load(model, BACKEND);
                NDManager manager = lm.newManager()) {
            NDArray ids = manager.create(new long[] {1, 2, 3, 4, 5}).reshape(1, 5);
            String message = assertThrows(PeftException.class, () -> lm.logits(ids, null))
                    .getMessage();
            assertTrue(message.contains("spans 5 tokens, longer than the model's sliding window of 4"), message);
        }
    }

    @Test
    void wrongShapeMissingAndUnexpectedTensorsAreListedTogether() throws IOException {
        Path model = copyOf("tiny-qwen2");
        Path weights = model.resolve(Checkpoint.WEIGHTS_FILE);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
                SafetensorsFile file = SafetensorsFile.open(weights)) {
            for (String name : file.tensors().keySet()) {
                tensors.put(name, file.read(name, manager));
            }
            tensors.remove("model.norm.weight");
            tensors.put("model.layers.0.mlp.up_proj.weight", manager.zeros(new ai.djl.ndarray.types.Shape(47, 32)));
            tensors.put("model.layers.0.mlp.extra.weight", manager.zeros(new ai.djl.ndarray.types.Shape(2)));
            SafetensorsWriter.save(weights, tensors, Map.of("format", "pt"));
        }
        String message = loadError(model);
        assertTrue(message.contains("missing tensors: [model.norm.weight]"), message);
        assertTrue(message.contains("unexpected tensors: [model.layers.0.mlp.extra.weight]"), message);
        assertTrue(
                message.contains("model.layers.0.mlp.up_proj.weight has shape (47, 32), expected (48, 32)"), message);
    }

    @Test
    void noWeightsFile() throws IOException {
        Path model = copyOf("tiny-qwen2");
        Files.delete(model.resolve(Checkpoint.WEIGHTS_FILE));
        String message = loadError(model);
        assertTrue(message.contains("No model.safetensors or model.safetensors.index.json"), message);
    }

    /** Cuts model.safetensors into two shards with an index, as transformers' save_pretrained does. */
    private Path shard(String name) throws IOException {
        return shardInto(copyOf(name));
    }

    /**
     * Cuts a model directory's model.safetensors into two shards with an index.
     *
     * @param model the directory, changed in place
     * @return the directory
     */
    static Path shardInto(Path model) throws IOException {
        Path weights = model.resolve(Checkpoint.WEIGHTS_FILE);
        JsonObject weightMap = new JsonObject();
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
                SafetensorsFile file = SafetensorsFile.open(weights)) {
            List<String> names = List.copyOf(file.tensors().keySet());
            for (int part = 0; part < 2; part++) {
                String shard = String.format("model-%05d-of-00002.safetensors", part + 1);
                Map<String, NDArray> tensors = new LinkedHashMap<>();
                for (int i = part; i < names.size(); i += 2) {
                    tensors.put(names.get(i), file.read(names.get(i), manager));
                    weightMap.addProperty(names.get(i), shard);
                }
                SafetensorsWriter.save(model.resolve(shard), tensors, Map.of("format", "pt"));
            }
        }
        Files.delete(weights);
        JsonObject index = new JsonObject();
        index.add("metadata", new JsonObject());
        index.add("weight_map", weightMap);
        Files.writeString(model.resolve(Checkpoint.INDEX_FILE), index.toString());
        return model;
    }

    @Test
    void shardedCheckpointLoadsLikeTheSingleFile() throws IOException {
        Path sharded = shard("tiny-gpt2");
        try (CausalLm single = CausalLm.load(Reference.resource("tiny-gpt2"), BACKEND);
                CausalLm split = CausalLm.load(sharded, BACKEND);
                NDManager manager = single.newManager()) {
            NDArray ids = manager.create(new long[] {5, 9, 2, 7}).reshape(1, 4);
            assertEquals(
                    0,
                    single.logits(ids, null)
                            .sub(split.logits(ids, null))
                            .abs()
                            .max()
                            .getFloat(),
                    0);
        }
    }

    @Test
    void truncatedShardAndMissingShardAreNamed() throws IOException {
        Path model = shard("tiny-gpt2");
        Path second = model.resolve("model-00002-of-00002.safetensors");
        byte[] bytes = Files.readAllBytes(second);
        Files.write(second, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        String truncated = loadError(model);
        assertTrue(truncated.contains("model-00002-of-00002.safetensors"), truncated);

        Files.delete(second);
        String missing = loadError(model);
        assertTrue(missing.contains("names shard model-00002-of-00002.safetensors"), missing);
        assertTrue(missing.contains("which is missing from " + model), missing);
    }

    @Test
    void tokenIdOutsideTheVocabulary() throws IOException {
        try (CausalLm lm = CausalLm.load(Reference.resource("tiny-qwen2"), BACKEND);
                NDManager manager = lm.newManager()) {
            NDArray ids = manager.create(new long[] {1, 96}).reshape(1, 2);
            String message = assertThrows(PeftException.class, () -> lm.logits(ids, null))
                    .getMessage();
            assertTrue(message.contains("Token id 96 is outside the vocabulary of 96 tokens"), message);
        }
    }

    @Test
    void aClosedModelSaysSoInsteadOfTheEnginesError() {
        CausalLm lm = CausalLm.load(Reference.resource("tiny-qwen2"), BACKEND);
        lm.close();
        try (NDManager manager = BACKEND.newManager()) {
            NDArray ids = manager.create(new long[] {1, 2}).reshape(1, 2);
            assertEquals(
                    "The model's weights were released: its CausalLm (or DJL Model) was closed. "
                            + "Use a model only inside its try-with-resources block",
                    assertThrows(PeftException.class, () -> lm.logits(ids, null))
                            .getMessage());
        }
    }
}
