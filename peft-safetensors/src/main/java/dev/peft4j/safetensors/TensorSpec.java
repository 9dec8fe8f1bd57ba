package dev.peft4j.safetensors;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.spi.PeftException;
import java.util.Objects;

/**
 * A tensor's name, element type and shape: one entry of a safetensors header, without its
 * position in the file.
 *
 * @param name the tensor's name, for example {@code base_model.model.h.0.attn.c_attn.lora_A.weight}
 * @param dtype the element type
 * @param shape the dimensions, each ≥ 0; an empty shape is a scalar
 */
public record TensorSpec(String name, SafetensorsDtype dtype, Shape shape) {

    /**
     * Validates the fields.
     *
     * @param name the tensor's name, for example {@code base_model.model.h.0.attn.c_attn.lora_A.weight}
     * @param dtype the element type
     * @param shape the dimensions, each ≥ 0; an empty shape is a scalar
     * @throws PeftException when a dimension is negative, the size overflows a {@code long}, or packed
     *     elements do not fill whole bytes
     */
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        byteSize(name, dtype, shape);
    }

    /**
     * The number of elements: the product of the dimensions, 1 for a scalar.
     *
     * @return the element count
     */
    public long elementCount() {
        return elementCount(name, shape);
    }

    /**
     * The bytes the tensor's data takes.
     *
     * @return element count × element bits / 8
     */
    public long byteSize() {
        return byteSize(name, dtype, shape);
    }

    private static long elementCount(String name, Shape shape) {
        long count = 1;
        for (long dimension : shape.getShape()) {
            if (dimension < 0) {
                throw new PeftException("Tensor '" + name + "' has shape " + shape + "; dimensions must be ≥ 0");
            }
            try {
                count = Math.multiplyExact(count, dimension);
            } catch (ArithmeticException e) {
                throw new PeftException(
                        "Tensor '" + name + "' has shape " + shape + ", too many elements to address", e);
            }
        }
        return count;
    }

    private static long byteSize(String name, SafetensorsDtype dtype, Shape shape) {
        try {
            return dtype.bytesFor(elementCount(name, shape));
        } catch (ArithmeticException e) {
            throw new PeftException(
                    "Tensor '" + name + "' of shape " + shape + " and dtype " + dtype + " is too large to address", e);
        }
    }
}
