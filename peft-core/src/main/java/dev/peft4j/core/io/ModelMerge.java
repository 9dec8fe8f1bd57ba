package dev.peft4j.core.io;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.StrictJson;
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
 * transformers loads: {@code model.safetensors}, or every shard of a sharded checkpoint ({@code
 * model.safetensors.index.json}), each merged by {@link StreamingMerge} for the tensors the index
 * puts in it and written under its own name, with the index and every other file of the model
 * (config, tokenizer, generation config) copied. Tensor names, shapes and dtypes do not change, so
 * the index stays valid. Everything is checked before anything is written (every adapted module
 * and saved tensor finds its shard), and the output directory appears only when complete.
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
     * @param baseDirectory the model directory
     * @param adapterDirectory the PEFT adapter directory
     * @param outputDirectory the model directory to write; must not exist or be the base
     * @param manager the engine and device to compute on
     * @param options the path map and the registry
     * @return what was written, over all shards
     * @throws PeftException when the base has no weights, the index is malformed or names a missing
     *     shard, a module's weight is in no shard, the output exists, or anything a single-file merge refuses
     */
    public static StreamingMerge.Summary merge(
            Path baseDirectory,
            Path adapterDirectory,
            Path outputDirectory,
            NDManager manager,
            StreamingMerge.Options options) {
        if (Files.exists(outputDirectory)) {
            throw new PeftException(
                    "The output " + outputDirectory + " exists; merging into a model directory writes a new one");
        }
        Map<String, Set<String>> shards = shards(baseDirectory);
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
            copyOtherFiles(baseDirectory, output.path(), shards.keySet());
            output.commit();
        }
        return new StreamingMerge.Summary(merged, replaced, copied);
    }

    /** Shard file → the tensor names it holds; the single file holds all of its own. */
    private static Map<String, Set<String>> shards(Path directory) {
        Path index = directory.resolve(INDEX_FILE);
        Map<String, Set<String>> shards = new LinkedHashMap<>();
        if (!Files.isRegularFile(index)) {
            if (!Files.isRegularFile(directory.resolve(WEIGHTS_FILE))) {
                throw new PeftException("No " + WEIGHTS_FILE + " or " + INDEX_FILE + " in " + directory
                        + "; --base takes a model directory, or one .safetensors file");
            }
            try (SafetensorsFile file = SafetensorsFile.open(directory.resolve(WEIGHTS_FILE))) {
                shards.put(WEIGHTS_FILE, new LinkedHashSet<>(file.tensors().keySet()));
            }
            return shards;
        }
        JsonObject json;
        try (Reader reader = Files.newBufferedReader(index, StandardCharsets.UTF_8)) {
            json = StrictJson.parseObject(reader, index.toString());
        } catch (IOException e) {
            throw new PeftException("Cannot read " + index + ": " + e.getMessage(), e);
        }
        JsonElement weightMap = json.get("weight_map");
        if (weightMap == null || !weightMap.isJsonObject()) {
            throw new PeftException(index + " has no \"weight_map\" object");
        }
        for (Map.Entry<String, JsonElement> entry : weightMap.getAsJsonObject().entrySet()) {
            String shard = StrictJson.string(entry.getValue())
                    .orElseThrow(() -> new PeftException(index + ": weight_map[\"" + entry.getKey() + "\"] is "
                            + StrictJson.preview(entry.getValue()) + ", expected a shard file name"));
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
