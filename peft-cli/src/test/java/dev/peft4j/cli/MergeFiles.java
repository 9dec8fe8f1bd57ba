package dev.peft4j.cli;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.core.io.PeftConfigFile;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Safetensors files and PEFT adapter directories for merge tests, written from plain Java values:
 * float tensors as F32, F16 or BF16 (of values each type holds exactly), and integer buffers.
 */
final class MergeFiles {

    /**
     * One tensor and its stored bytes.
     *
     * @param spec its name, dtype and shape
     * @param bytes little-endian elements
     */
    record Tensor(TensorSpec spec, byte[] bytes) {

        String name() {
            return spec.name();
        }
    }

    private MergeFiles() {}

    /**
     * A floating-point tensor.
     *
     * @param name its name
     * @param dtype F32, F16 or BF16; for the 16-bit types every value must be exact in them
     * @param values row-major values
     * @param shape the dimensions
     * @return the tensor
     */
    static Tensor floats(String name, SafetensorsDtype dtype, float[] values, long... shape) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            switch (dtype.name()) {
                case "F32" -> bytes.putFloat(value);
                case "F16" -> bytes.putShort(halfBits(value));
                case "BF16" -> bytes.putShort(bfloat16Bits(value));
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }
        return tensor(name, dtype, bytes.array(), shape);
    }

    /**
     * An F64 tensor.
     *
     * @param name its name
     * @param values row-major values
     * @param shape the dimensions
     * @return the tensor
     */
    static Tensor doubles(String name, double[] values, long... shape) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (double value : values) {
            bytes.putDouble(value);
        }
        return tensor(name, SafetensorsDtype.F64, bytes.array(), shape);
    }

    /**
     * A tensor of 64-bit integers.
     *
     * @param name its name
     * @param values row-major values
     * @param shape the dimensions
     * @return the tensor
     */
    static Tensor longs(String name, long[] values, long... shape) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (long value : values) {
            bytes.putLong(value);
        }
        return tensor(name, SafetensorsDtype.I64, bytes.array(), shape);
    }

    /**
     * A tensor of any dtype from its stored bytes.
     *
     * @param name its name
     * @param dtype its type
     * @param bytes the stored bytes
     * @param shape the dimensions
     * @return the tensor
     */
    static Tensor tensor(String name, SafetensorsDtype dtype, byte[] bytes, long... shape) {
        TensorSpec spec = new TensorSpec(name, dtype, new Shape(shape));
        if (spec.byteSize() != bytes.length) {
            throw new IllegalArgumentException(name + ": " + bytes.length + " bytes for " + spec);
        }
        return new Tensor(spec, bytes);
    }

    /**
     * Random values that F16 and BF16 hold exactly: multiples of 2⁻⁷ in [−scale, scale) for
     * scale ≤ 1.
     *
     * @param random the source
     * @param count how many
     * @param scale the bound
     * @return the values
     */
    static float[] exact(Random random, int count, float scale) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = Math.round((random.nextFloat() * 2 - 1) * scale * 128) / 128f;
        }
        return values;
    }

    /**
     * Random float32 values, Gaussian with a standard deviation.
     *
     * @param random the source
     * @param count how many
     * @param std the standard deviation
     * @return the values
     */
    static float[] gaussian(Random random, int count, double std) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
        return values;
    }

    /**
     * Writes a safetensors file, tensors laid out as Python would.
     *
     * @param file the file
     * @param tensors the tensors
     * @param metadata {@code __metadata__} besides {@code "format": "pt"}
     * @return the file
     */
    static Path write(Path file, List<Tensor> tensors, Map<String, String> metadata) {
        List<TensorSpec> specs = tensors.stream().map(Tensor::spec).toList();
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, specs, metadata)) {
            tensors.forEach(tensor -> writer.write(tensor.name(), ByteBuffer.wrap(tensor.bytes())));
            writer.commit();
        }
        return file;
    }

    /**
     * Writes a PEFT adapter directory; tensor names are given without {@code base_model.model.}.
     *
     * @param directory the directory, created if absent
     * @param config the configuration
     * @param tensors the tensors
     * @return the directory
     */
    static Path adapter(Path directory, PeftAdapterConfig config, List<Tensor> tensors) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PeftConfigFile.write(config, directory.resolve(PeftConfigFile.FILE_NAME));
        List<Tensor> prefixed = tensors.stream()
                .map(t -> new Tensor(
                        new TensorSpec(
                                AdapterDirectory.TENSOR_PREFIX + t.name(),
                                t.spec().dtype(),
                                t.spec().shape()),
                        t.bytes()))
                .toList();
        write(directory.resolve(AdapterDirectory.WEIGHTS_FILE), prefixed, Map.of());
        return directory;
    }

    /**
     * The files in a directory.
     *
     * @param directory the directory
     * @return their names, sorted
     */
    static List<String> fileNames(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static short halfBits(float value) {
        int bits = Float.floatToIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        if ((bits & 0x7FFF_FFFF) == 0) {
            return (short) sign;
        }
        int exponent = ((bits >>> 23) & 0xFF) - 127 + 15;
        if (exponent < 1 || exponent > 30 || (bits & 0x1FFF) != 0) {
            throw new IllegalArgumentException(value + " is not a normal F16 value");
        }
        return (short) (sign | exponent << 10 | (bits & 0x7F_FFFF) >>> 13);
    }

    private static short bfloat16Bits(float value) {
        int bits = Float.floatToIntBits(value);
        if ((bits & 0xFFFF) != 0) {
            throw new IllegalArgumentException(value + " is not a BF16 value");
        }
        return (short) (bits >>> 16);
    }
}
