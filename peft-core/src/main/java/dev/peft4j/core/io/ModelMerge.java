package dev.peft4j.core.io;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.StrictJson;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Merges an adapter into a Hugging Face model directory and writes a new model directory that
 * transformers loads: {@code model.safetensors}, or every shard of a sharded checkpoint (an index
 * such as {@code model.safetensors.index.json}), each merged by {@link StreamingMerge} for the
 * tensors the index puts in it and written under its own name, with every other file of the model
 * (config, tokenizer, generation config) copied. Tensor names, shapes and dtypes do not change, so
 * the new index keeps the weight map and the metadata, with {@code total_size} recomputed from the
 * written shards. Everything is checked before anything is written (every adapted module and saved
 * tensor finds its shard), and the output directory appears only when complete.
 */
public final class ModelMerge {

    /** The single-file weights of a model directory. */
    public static final String WEIGHTS_FILE = "model.safetensors";

    /** The index of a sharded checkpoint. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private ModelMerge() {}

    /**
     * Merges an adapter into a model directory.
     *
     * @param base the model directory, or the index file of a sharded checkpoint
     * @param adapterDirectory the PEFT adapter directory
     * @param outputDirectory the model directory to write; must not exist or be the base
     * @param manager the engine and device to compute on
     * @param options the path map and the registry
     * @return what was written, over all shards
     * @throws PeftException when the base has no weights, the index is malformed or names a missing
     *     shard or one that is not safetensors, a module's weight is in no shard, the output exists, or
     *     anything a single-file merge refuses
     */
    public static StreamingMerge.Summary merge(
            Path base, Path adapterDirectory, Path outputDirectory, NDManager manager, StreamingMerge.Options options) {
        if (Files.exists(outputDirectory)) {
            throw new PeftException(
                    "The output " + outputDirectory + " exists; merging into a model directory writes a new one");
        }
        Path baseDirectory =
                Files.isDirectory(base) ? base : base.toAbsolutePath().getParent();
        Path index = Files.isDirectory(base) ? base.resolve(INDEX_FILE) : base;
        if (!Files.isDirectory(base) && !base.getFileName().toString().endsWith(".json")) {
            throw new PeftException(base + " is neither a model directory nor the .json index of a sharded checkpoint");
        }
        JsonObject indexJson = Files.isRegularFile(index) ? readIndex(index) : null;
        Map<String, Set<String>> shards = indexJson == null ? singleFile(baseDirectory) : shards(index, indexJson);
        requireEveryTargetInAShard(baseDirectory, adapterDirectory, shards, options);
        int merged = 0;
        int replaced = 0;
        int copied = 0;
        try (StagedDirectory output = StagedDirectory.start(outputDirectory)) {
            for (Map.Entry<String, Set<String>> shard : shards.entrySet()) {
                StreamingMerge.Summary summary = StreamingMerge.merge(
                        baseDirectory.resolve(shard.getKey()),
                        adapterDirectory,
                        output.path().resolve(shard.getKey()),
                        manager,
                        options,
                        shard.getValue()::contains);
                merged += summary.merged();
                replaced += summary.replaced();
                copied += summary.copied();
            }
            Set<String> written = new LinkedHashSet<>(shards.keySet());
            if (indexJson != null) {
                writeIndex(indexJson, output.path(), index.getFileName().toString(), shards.keySet());
                written.add(index.getFileName().toString());
            }
            copyOtherFiles(baseDirectory, output.path(), written);
            output.commit();
        }
        return new StreamingMerge.Summary(merged, replaced, copied);
    }

    /** The single file of an unsharded model directory, holding all of its own tensors. */
    private static Map<String, Set<String>> singleFile(Path directory) {
        if (!Files.isRegularFile(directory.resolve(WEIGHTS_FILE))) {
            throw new PeftException("No " + WEIGHTS_FILE + " or " + INDEX_FILE + " in " + directory
                    + "; --base takes a model directory, the index of a sharded checkpoint, or one .safetensors file");
        }
        Map<String, Set<String>> shards = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(directory.resolve(WEIGHTS_FILE))) {
            shards.put(WEIGHTS_FILE, new LinkedHashSet<>(file.tensors().keySet()));
        }
        return shards;
    }

    private static JsonObject readIndex(Path index) {
        try (Reader reader = Files.newBufferedReader(index, StandardCharsets.UTF_8)) {
            return StrictJson.parseObject(reader, index.toString());
        } catch (IOException e) {
            throw new PeftException("Cannot read " + index + ": " + e.getMessage(), e);
        }
    }

    /** Shard file → the tensor names the index puts in it. */
    private static Map<String, Set<String>> shards(Path index, JsonObject json) {
        Path directory = index.toAbsolutePath().getParent();
        Map<String, Set<String>> shards = new LinkedHashMap<>();
        JsonElement weightMap = json.get("weight_map");
        if (weightMap == null || !weightMap.isJsonObject()) {
            throw new PeftException(index + " has no \"weight_map\" object");
        }
        for (Map.Entry<String, JsonElement> entry : weightMap.getAsJsonObject().entrySet()) {
            String shard = StrictJson.string(entry.getValue())
                    .orElseThrow(() -> new PeftException(index + ": weight_map[\"" + entry.getKey() + "\"] is "
                            + StrictJson.preview(entry.getValue()) + ", expected a shard file name"));
            if (!shard.endsWith(".safetensors")) {
                throw new PeftException(index + " names shard " + shard + " (for " + entry.getKey()
                        + "), which is not a .safetensors file; peft4j reads safetensors checkpoints only");
            }
            Path file = directory.resolve(shard).normalize();
            if (!directory.normalize().equals(file.getParent()) || !Files.isRegularFile(file)) {
                throw new PeftException(index + " names shard " + shard + " (for " + entry.getKey()
                        + "), which is not a file of " + directory);
            }
            shards.computeIfAbsent(shard, name -> new LinkedHashSet<>()).add(entry.getKey());
        }
        return shards;
    }

    private static void requireEveryTargetInAShard(
            Path base, Path adapterDirectory, Map<String, Set<String>> shards, StreamingMerge.Options options) {
        PathMap pathMap = options.pathMap();
        Set<String> all = new LinkedHashSet<>();
        shards.values().forEach(all::addAll);
        List<String> missing = new ArrayList<>();
        try (AdapterDirectory adapter = AdapterDirectory.open(adapterDirectory, options.plugins())) {
            adapter.modules().keySet().forEach(path -> {
                if (!all.contains(pathMap.apply(path) + ".weight")) {
                    missing.add(pathMap.apply(path) + ".weight");
                }
            });
            adapter.savedTensors().keySet().forEach(path -> {
                if (!all.contains(pathMap.apply(path))) {
                    missing.add(pathMap.apply(path));
                }
            });
        }
        if (!missing.isEmpty()) {
            throw new PeftException("The model in " + base + " has no tensor " + missing + " that the adapter in "
                    + adapterDirectory + " merges into; map the names with --prefix-map if they differ");
        }
    }

    /** The base's index with the same weight map and metadata, {@code total_size} taken from the written shards. */
    private static void writeIndex(JsonObject base, Path output, String name, Set<String> shards) {
        JsonObject index = base.deepCopy();
        JsonElement metadata = index.get("metadata");
        if (metadata != null
                && metadata.isJsonObject()
                && metadata.getAsJsonObject().has("total_size")) {
            long total = 0;
            for (String shard : shards) {
                try (SafetensorsFile file = SafetensorsFile.open(output.resolve(shard))) {
                    for (TensorSpec tensor : file.tensors().values()) {
                        total += tensor.byteSize();
                    }
                }
            }
            metadata.getAsJsonObject().addProperty("total_size", total);
        }
        String text = new GsonBuilder()
                        .setPrettyPrinting()
                        .disableHtmlEscaping()
                        .create()
                        .toJson(index) + "\n";
        try {
            Files.writeString(output.resolve(name), text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PeftException("Cannot write " + output.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    private static void copyOtherFiles(Path base, Path output, Set<String> weightFiles) {
        try (Stream<Path> files = Files.list(base)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (Files.isRegularFile(file) && !weightFiles.contains(name) && !name.startsWith(".")) {
                    Files.copy(file, output.resolve(name));
                }
            }
        } catch (IOException e) {
            throw new PeftException(
                    "Cannot copy the model files of " + base + " to " + output + ": " + e.getMessage(), e);
        }
    }
}
