package dev.peft4j.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.peft4j.spi.PeftException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a safetensors file as Python's safetensors does, one tensor at a time.
 *
 * <p>The tensors are declared up front, which fixes the header: {@code __metadata__} first (with
 * {@code "format": "pt"} unless given), then the tensors widest dtype first and by name,
 * contiguous, the JSON padded with spaces to a multiple of 8. Their data can then be written in
 * any order, so a model larger than memory can be copied or merged tensor by tensor. The file
 * appears only on {@link #commit}: everything goes to a temporary file beside the target, which is
 * forced to disk and renamed atomically. Closing without a commit, after a failure for example,
 * deletes the temporary file and leaves the target as it was.
 *
 * <pre>{@code
 * try (SafetensorsWriter writer = SafetensorsWriter.create(target, specs, Map.of())) {
 *     for (TensorSpec spec : specs) {
 *         writer.write(spec.name(), source.readBytes(spec.name()));
 *     }
 *     writer.commit();
 * }
 * }</pre>
 */
public final class SafetensorsWriter implements AutoCloseable {

    private final Path target;
    private final SafetensorsHeader header;
    private final long dataStart;
    private final AtomicFile file;
    private final Set<String> pending;
    private boolean committed;

    private SafetensorsWriter(Path target, SafetensorsHeader header, long dataStart, AtomicFile file) {
        this.target = target;
        this.header = header;
        this.dataStart = dataStart;
        this.file = file;
        this.pending = new LinkedHashSet<>(header.entries().keySet());
    }

    /**
     * Starts a file: lays out the declared tensors and writes the header.
     *
     * @param target the file to create or replace on commit
     * @param tensors every tensor the file will hold, each name once
     * @param metadata {@code __metadata__} strings besides {@code "format": "pt"}, which they may override
     * @return the writer; commit it, and close it in every case
     * @throws PeftException when a name repeats or is reserved, the header is too large, or the
     *     temporary file cannot be written
     */
    public static SafetensorsWriter create(Path target, List<TensorSpec> tensors, Map<String, String> metadata) {
        return start(target, SafetensorsHeader.layout(tensors, withFormat(metadata)));
    }

    /**
     * Starts a file that reproduces another file's layout (a merged model keeps its base's): the
     * tensors in the order given rather than Python's, and the metadata exactly as given, with no
     * {@code "format": "pt"} added.
     *
     * @param target the file to create or replace on commit
     * @param tensors every tensor the file will hold, each name once, in the order their data follows the header
     * @param metadata the {@code __metadata__} strings, or {@code null} to write no {@code __metadata__}
     * @return the writer; commit it, and close it in every case
     * @throws PeftException as {@link #create}
     */
    public static SafetensorsWriter createInOrder(Path target, List<TensorSpec> tensors, Map<String, String> metadata) {
        return start(target, SafetensorsHeader.inOrder(tensors, metadata));
    }

    private static Map<String, String> withFormat(Map<String, String> metadata) {
        Map<String, String> allMetadata = new LinkedHashMap<>();
        allMetadata.put("format", "pt");
        allMetadata.putAll(metadata);
        return allMetadata;
    }

    private static SafetensorsWriter start(Path target, SafetensorsHeader header) {
        byte[] json = header.encode();
        if (json.length > SafetensorsFile.MAX_HEADER_BYTES) {
            throw new PeftException("The header for " + target + " would have " + json.length
                    + " bytes, more than readers accept (" + SafetensorsFile.MAX_HEADER_BYTES + ")");
        }
        AtomicFile file = AtomicFile.create(target);
        try {
            ByteBuffer prefix = ByteBuffer.allocate(Long.BYTES + json.length).order(ByteOrder.LITTLE_ENDIAN);
            file.write(prefix.putLong(json.length).put(json).flip(), 0);
            return new SafetensorsWriter(target, header, Long.BYTES + json.length, file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * Writes NDArrays to a file in one go, each with its own dtype and shape.
     *
     * @param target the file to create or replace
     * @param arrays the tensors by name; FLOAT64, FLOAT32 or FLOAT16
     * @param metadata {@code __metadata__} strings besides {@code "format": "pt"}
     * @throws PeftException when an array's type cannot be stored or writing fails; the target is then unchanged
     */
    public static void save(Path target, Map<String, NDArray> arrays, Map<String, String> metadata) {
        List<TensorSpec> specs = new ArrayList<>();
        arrays.forEach((name, array) ->
                specs.add(new TensorSpec(name, SafetensorsDtype.of(array.getDataType()), array.getShape())));
        try (SafetensorsWriter writer = create(target, specs, metadata)) {
            arrays.forEach(writer::write);
            writer.commit();
        }
    }

    /**
     * The declared tensors, in the order they are laid out in the file.
     *
     * @return the specs
     */
    public List<TensorSpec> tensors() {
        return header.entries().values().stream()
                .map(SafetensorsHeader.Entry::spec)
                .toList();
    }

    /**
     * Writes a declared tensor's bytes as they are.
     *
     * @param name the tensor's name
     * @param data exactly its bytes: little-endian elements, row-major, from position to limit (not consumed)
     * @throws PeftException when the tensor is undeclared or already written, or the size differs
     */
    public void write(String name, ByteBuffer data) {
        SafetensorsHeader.Entry entry = pendingEntry(name);
        long expected = entry.spec().byteSize();
        if (data.remaining() != expected) {
            throw new PeftException("Tensor '" + name + "' for " + target + ": got " + data.remaining()
                    + " bytes, expected " + expected + " for " + entry.spec().dtype() + " "
                    + entry.spec().shape());
        }
        file.write(data.duplicate(), dataStart + entry.begin());
        pending.remove(name);
    }

    /**
     * Writes a declared tensor with the bytes of the same tensor in another file, copied by the
     * operating system where it can, without holding them in memory.
     *
     * @param source the file to copy from
     * @param name the tensor's name, in both files
     * @throws PeftException when the tensor is undeclared or already written, or its dtype or
     *     shape differs between the files
     */
    public void copy(SafetensorsFile source, String name) {
        SafetensorsHeader.Entry entry = pendingEntry(name);
        TensorSpec from = source.tensor(name);
        if (!from.equals(entry.spec())) {
            throw new PeftException("Tensor '" + name + "' is " + from.dtype() + " " + from.shape() + " in "
                    + source.path() + " but declared " + entry.spec().dtype() + " "
                    + entry.spec().shape()
                    + " for " + target);
        }
        source.transferTo(name, file, dataStart + entry.begin());
        pending.remove(name);
    }

    /**
     * Writes a declared floating-point tensor from an NDArray of its shape, converted to the
     * declared dtype: by the engine to F64, F32 or F16, and in Java to BF16 (round to nearest even,
     * as PyTorch does). Where the engine allows it (PyTorch on the CPU) the bytes go to the file
     * straight from the array's memory.
     *
     * @param name the tensor's name
     * @param array the values; it stays open and unchanged
     * @throws PeftException when the tensor is undeclared, already written or not floating-point,
     *     or the shape differs
     */
    public void write(String name, NDArray array) {
        TensorSpec spec = pendingEntry(name).spec();
        if (!spec.dtype().isFloatingPoint()) {
            throw new PeftException("Tensor '" + name + "' for " + target + " is declared " + spec.dtype()
                    + ", not a floating-point tensor: write its bytes instead of an array");
        }
        if (!spec.shape().equals(array.getShape())) {
            throw new PeftException("Tensor '" + name + "' for " + target + ": the array has shape " + array.getShape()
                    + ", declared " + spec.shape());
        }
        DataType stored = spec.dtype() == SafetensorsDtype.BF16
                ? DataType.FLOAT32
                : spec.dtype().dataType();
        if (array.getDataType() == stored) {
            write(name, bytes(array, spec.dtype()));
            return;
        }
        try (NDArray converted = array.toType(stored, false)) {
            write(name, bytes(converted, spec.dtype()));
        }
    }

    /**
     * Forces the file to disk and renames it to the target, replacing any file there.
     *
     * @throws PeftException when a declared tensor was not written, or the file cannot be committed
     */
    public void commit() {
        if (!pending.isEmpty()) {
            throw new PeftException("Cannot commit " + target + ": " + pending.size()
                    + " declared tensors were not written, among them '"
                    + pending.iterator().next() + "'");
        }
        ensureOpen();
        file.commit();
        committed = true;
    }

    /** Ends writing; without a commit, deletes the temporary file and leaves the target unchanged. */
    @Override
    public void close() {
        file.close();
    }

    private SafetensorsHeader.Entry pendingEntry(String name) {
        ensureOpen();
        SafetensorsHeader.Entry entry = header.entries().get(Objects.requireNonNull(name, "name"));
        if (entry == null) {
            throw new PeftException("Tensor '" + name + "' was not declared for " + target + " (" + pending.size()
                    + " of " + header.entries().size() + " declared tensors remain to be written)");
        }
        if (!pending.contains(name)) {
            throw new PeftException("Tensor '" + name + "' was already written to " + target);
        }
        return entry;
    }

    private void ensureOpen() {
        if (committed) {
            throw new PeftException(target + " is already committed");
        }
    }

    /** The array's bytes in a dtype of its own type, or BF16 from FLOAT32; valid while the array is open. */
    private static ByteBuffer bytes(NDArray array, SafetensorsDtype dtype) {
        ByteBuffer data = array.toByteBuffer(true);
        return dtype == SafetensorsDtype.BF16 ? FloatCodec.toBfloat16(data.asFloatBuffer()) : data;
    }
}
