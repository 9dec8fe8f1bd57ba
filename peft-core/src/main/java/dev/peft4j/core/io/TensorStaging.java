package dev.peft4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.peft4j.safetensors.FloatCodec;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.PeftException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads tensors into an engine through direct buffers it reuses, so that reading a model tensor by
 * tensor leaves no garbage the size of a tensor behind.
 *
 * <p>Why: a PyTorch array that DJL creates from Java data keeps the direct buffer it was given (or
 * a new one) as its memory, and the JVM frees a direct buffer only at a garbage collection, which
 * the buffer's small heap footprint rarely triggers; reading tensor after tensor with {@link
 * SafetensorsFile#read} therefore holds memory that grows with the model until the JVM's
 * direct-memory limit forces a collection. Here each tensor is staged in the same buffers and
 * copied into memory the engine owns, which closing the array frees at once. Not thread-safe.
 */
final class TensorStaging {

    private ByteBuffer stored = allocate(0);
    private ByteBuffer decoded = allocate(0);

    /**
     * Sizes the buffers for the largest of some tensors up front, so that reading them leaves no
     * outgrown buffer behind.
     *
     * @param file the file
     * @param names tensors that will be read
     * @throws PeftException when a tensor is missing or too large for one buffer
     */
    void reserve(SafetensorsFile file, Iterable<String> names) {
        for (String name : names) {
            stored = capacity(stored, file.sizeInMemory(name));
            TensorSpec spec = file.tensor(name);
            if (spec.dtype() == SafetensorsDtype.BF16) {
                decoded = capacity(decoded, decodedSize(file, spec));
            }
        }
    }

    /**
     * A floating-point tensor as an array of its stored type, as {@link SafetensorsFile#read}
     * gives it (BF16 becomes FLOAT32), sharing no memory with the staging buffers.
     *
     * @param file the file
     * @param name the tensor's name
     * @param manager owns the new array
     * @return the array, with the tensor's shape
     * @throws PeftException when the tensor is missing, not floating-point or cannot be read
     */
    NDArray read(SafetensorsFile file, String name, NDManager manager) {
        TensorSpec spec = file.floatingTensor(name);
        if (spec.elementCount() == 0) {
            return file.read(name, manager);
        }
        stored = capacity(stored, file.sizeInMemory(name));
        ByteBuffer bytes = file.readBytes(name, stored);
        DataType type = spec.dtype().dataType();
        if (spec.dtype() == SafetensorsDtype.BF16) {
            int size = decodedSize(file, spec);
            decoded = capacity(decoded, size);
            decoded.clear().limit(size);
            FloatCodec.decode(bytes, spec.dtype(), decoded.asFloatBuffer());
            bytes = decoded;
            type = DataType.FLOAT32;
        }
        try (NDArray staged = manager.create(bytes, spec.shape(), type)) {
            return staged.duplicate();
        }
    }

    private static int decodedSize(SafetensorsFile file, TensorSpec spec) {
        long size = spec.elementCount() * Float.BYTES;
        if (size > Integer.MAX_VALUE - 8) {
            throw new PeftException("Tensor '" + spec.name() + "' of " + file.path() + " has " + spec.elementCount()
                    + " BF16 values, which as float32 take more than the 2 GiB one array can hold");
        }
        return (int) size;
    }

    private static ByteBuffer capacity(ByteBuffer buffer, int size) {
        return buffer.capacity() >= size ? buffer : allocate(size);
    }

    private static ByteBuffer allocate(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }
}
