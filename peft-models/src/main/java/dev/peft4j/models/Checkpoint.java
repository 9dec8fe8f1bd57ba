package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.PeftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a Hugging Face model directory: {@code model.safetensors}, or the shards that
 * {@code model.safetensors.index.json} names. Every file's header is read and checked when the
 * checkpoint opens; tensors are then read one at a time.
 */
public final class Checkpoint implements AutoCloseable {

    /** The single-file weights. */
    public static final String WEIGHTS_FILE = "model.safetensors";

    /** The index of a sharded checkpoint. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byTensor;

    private Checkpoint(List<SafetensorsFile> files, Map<String, SafetensorsFile> byTensor) {
        this.files = files;
        this.byTensor = byTensor;
    }

    /**
     * Opens the weights of a model directory.
     *
     * @param directory the model directory
     * @return the checkpoint; close it when done
     * @throws PeftException when neither file exists, the index is malformed or names a missing
     *     shard, or a file is not valid safetensors (truncated, corrupt)
     */
    public static Checkpoint open(Path directory) {
        Path index = directory.resolve(INDEX_FILE);
        Path single = directory.resolve(WEIGHTS_FILE);
        if (Files.isRegularFile(index)) {
            return sharded(directory, index);
        }
        if (!Files.isRegularFile(single)) {
            throw new PeftException(
                    "No " + WEIGHTS_FILE + " or " + INDEX_FILE + " in " + directory
                            + "; peft4j reads safetensors weights (convert pytorch_model.bin with transformers' save_pretrained)");
        }
        SafetensorsFile file = SafetensorsFile.open(single);
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        file.tensors().keySet().forEach(name -> byTensor.put(name, file));
        return new Checkpoint(List.of(file), byTensor);
    }

    private static Checkpoint sharded(Path directory, Path index) {
        JsonObject weightMap = ConfigJson.read(index).objectOrNull("weight_map");
        if (weightMap == null) {
            throw new PeftException(index + " has no \"weight_map\" object");
        }
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, JsonElement> entry : weightMap.entrySet()) {
                JsonElement value = entry.getValue();
                if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
                    throw new PeftException(index + ": weight_map[\"" + entry.getKey() + "\"] is " + value
                            + ", expected a shard file name");
                }
                String shardName = value.getAsString();
                Path shard = directory.resolve(shardName).normalize();
                if (!shard.getParent().equals(directory.normalize())) {
                    throw new PeftException(index + ": shard '" + shardName + "' is not a file of " + directory);
                }
                SafetensorsFile file = shards.get(shardName);
                if (file == null) {
                    if (!Files.isRegularFile(shard)) {
                        throw new PeftException(index + " names shard " + shardName + " (for " + entry.getKey()
                                + "), which is missing from " + directory);
                    }
                    file = SafetensorsFile.open(shard);
                    shards.put(shardName, file);
                }
                if (!file.tensors().containsKey(entry.getKey())) {
                    throw new PeftException(
                            index + " puts " + entry.getKey() + " in " + shardName + ", which has no such tensor");
                }
                byTensor.put(entry.getKey(), file);
            }
        } catch (RuntimeException e) {
            shards.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new Checkpoint(List.copyOf(shards.values()), byTensor);
    }

    /**
     * Every tensor's name and spec.
     *
     * @return the specs, in file order
     */
    public Map<String, TensorSpec> tensors() {
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        byTensor.forEach((name, file) -> specs.put(name, file.tensor(name)));
        return Collections.unmodifiableMap(specs);
    }

    /**
     * Reads one tensor as float32 (F16, BF16 and F64 converted).
     *
     * @param name the tensor's name
     * @param manager owns the new array
     * @return the values, in the tensor's shape
     * @throws PeftException when the tensor is missing, not floating-point or cannot be read
     */
    public NDArray readFloat32(String name, NDManager manager) {
        NDArray stored = file(name).read(name, manager);
        if (stored.getDataType() == DataType.FLOAT32) {
            return stored;
        }
        NDArray converted = stored.toType(DataType.FLOAT32, false);
        stored.close();
        return converted;
    }

    /**
     * Reads one floating-point tensor's values as float32.
     *
     * @param name the tensor's name
     * @return the values, row-major
     * @throws PeftException when the tensor is missing, not floating-point or cannot be read
     */
    public float[] readFloats(String name) {
        return file(name).readFloats(name);
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile file = byTensor.get(name);
        if (file == null) {
            throw new PeftException("The checkpoint has no tensor " + name);
        }
        return file;
    }

    /**
     * The files read, one or the shards.
     *
     * @return their paths
     */
    public List<Path> files() {
        List<Path> paths = new ArrayList<>();
        files.forEach(file -> paths.add(file.path()));
        return paths;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
