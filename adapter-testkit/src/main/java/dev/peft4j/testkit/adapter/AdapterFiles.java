package dev.peft4j.testkit.adapter;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.core.io.PeftConfigFile;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Adapter directories written from a config text and tensor shapes (values zero), for format tests. */
public final class AdapterFiles {

    private AdapterFiles() {}

    /**
     * Writes {@code adapter_config.json} and an {@code adapter_model.safetensors} of zeros.
     *
     * @param directory the directory, which must exist
     * @param configJson the configuration's text
     * @param tensors the tensors
     * @return the directory
     * @throws IOException when writing fails
     */
    public static Path write(Path directory, String configJson, TensorSpec... tensors) throws IOException {
        Files.writeString(directory.resolve(PeftConfigFile.FILE_NAME), configJson);
        try (SafetensorsWriter writer = SafetensorsWriter.create(
                directory.resolve(AdapterDirectory.WEIGHTS_FILE), List.of(tensors), Map.of())) {
            for (TensorSpec tensor : tensors) {
                writer.write(tensor.name(), ByteBuffer.allocate((int) tensor.byteSize()));
            }
            writer.commit();
        }
        return directory;
    }

    /**
     * A float32 tensor under PEFT's prefix.
     *
     * @param name the name after {@code base_model.model.}
     * @param shape the shape
     * @return the spec
     */
    public static TensorSpec f32(String name, long... shape) {
        return new TensorSpec(AdapterDirectory.TENSOR_PREFIX + name, SafetensorsDtype.F32, new Shape(shape));
    }
}
