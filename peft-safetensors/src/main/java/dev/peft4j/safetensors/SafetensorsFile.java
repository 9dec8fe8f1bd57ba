package dev.peft4j.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A safetensors file opened for reading one tensor at a time.
 *
 * <p>Opening reads and validates only the header: its length (at most {@link #MAX_HEADER_BYTES},
 * within the file), its JSON, every tensor's dtype, shape and byte range, and that the ranges
 * tile the data section exactly. Each read then takes one tensor's bytes with positioned channel
 * reads, so working through a file tensor by tensor needs memory for about one tensor at a time.
 * A single tensor read into memory may hold at most 2 GiB − 1 bytes. Tensors of every {@link
 * SafetensorsDtype} open; the values of the floating-point ones can be read, the integer and
 * boolean ones only as bytes.
 *
 * <p>Every failure is a {@link PeftException} naming the file, the tensor and what was expected.
 * Reads from several threads are safe. Byte order: safetensors data is little-endian, as are the
 * hosts of DJL's native engines.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The largest header accepted, as in Python's safetensors: 100,000,000 bytes. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final int LENGTH_PREFIX_BYTES = Long.BYTES;
    private static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final SafetensorsHeader header;
    private final Map<String, TensorSpec> tensors;

    private SafetensorsFile(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.channel = channel;
        long fileSize = channel.size();
        if (fileSize < LENGTH_PREFIX_BYTES) {
            throw new PeftException(path + " is truncated: it has " + fileSize
                    + " bytes, a safetensors file starts with an 8-byte header length");
        }
        ByteBuffer prefix = readFully(LENGTH_PREFIX_BYTES, 0, "the header length");
        long headerLength = prefix.getLong(0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
            String kind = otherFormat(prefix);
            if (kind != null) {
                throw new PeftException(path + " is " + kind + ", not a safetensors file");
            }
            throw new PeftException(path + ": header length " + Long.toUnsignedString(headerLength) + " is outside [2, "
                    + MAX_HEADER_BYTES + "]; the file is corrupt or not safetensors");
        }
        if (headerLength > fileSize - LENGTH_PREFIX_BYTES) {
            throw new PeftException(path + " is truncated: its header length is " + headerLength + " bytes but only "
                    + (fileSize - LENGTH_PREFIX_BYTES) + " bytes follow");
        }
        this.dataStart = LENGTH_PREFIX_BYTES + headerLength;
        String json = decodeUtf8(readFully((int) headerLength, LENGTH_PREFIX_BYTES, "the header"));
        this.header = SafetensorsHeader.parse(json, fileSize - dataStart, path.toString());
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        header.entries().forEach((name, entry) -> specs.put(name, entry.spec()));
        this.tensors = Collections.unmodifiableMap(specs);
    }

    /**
     * What a file whose first bytes cannot start a safetensors file is instead, when its first bytes
     * tell: JSON text (a sharded checkpoint's index, a config), a zip archive as {@code torch.save}
     * writes, or a Python pickle.
     */
    private static String otherFormat(ByteBuffer prefix) {
        int first = prefix.get(0) & 0xFF;
        if (first == '{' || first == '[') {
            return "JSON text (a sharded checkpoint's model.safetensors.index.json? give the model directory"
                    + " or the index where a model is expected)";
        }
        if (first == 'P' && prefix.get(1) == 'K' && prefix.get(2) == 3 && prefix.get(3) == 4) {
            return "a zip archive, as PyTorch's torch.save writes (.bin, .pt): peft4j never unpickles;"
                    + " convert it with safetensors.torch.save_file";
        }
        if (first == 0x80) {
            return "a Python pickle: peft4j never unpickles; convert it with safetensors.torch.save_file";
        }
        return null;
    }

    /**
     * Opens a file and validates its header.
     *
     * @param file the {@code .safetensors} file
     * @return the open file; close it when done
     * @throws PeftException when the file is missing, unreadable or not valid safetensors
     */
    public static SafetensorsFile open(Path file) {
        if (Files.isDirectory(file)) {
            throw new PeftException(file + " is a directory; expected a .safetensors file");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new PeftException(file + " does not exist", e);
        } catch (IOException e) {
            throw new PeftException("Cannot open " + file + ": " + e.getMessage(), e);
        }
        try {
            return new SafetensorsFile(file, channel);
        } catch (IOException | RuntimeException e) {
            try {
                channel.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e instanceof PeftException peft ? peft : new PeftException("Cannot read " + file + ": " + e, e);
        }
    }

    /**
     * The file this reads.
     *
     * @return the path
     */
    public Path path() {
        return path;
    }

    /**
     * The header's {@code __metadata__}, for example {@code {format=pt}}.
     *
     * @return the strings by key, empty when the header has none
     */
    public Map<String, String> metadata() {
        return header.metadata() == null ? Map.of() : header.metadata();
    }

    /**
     * Whether the header has a {@code __metadata__} entry at all (an empty one counts).
     *
     * @return whether it has
     */
    public boolean hasMetadata() {
        return header.metadata() != null;
    }

    /**
     * The tensors, in header order.
     *
     * @return the specs by name
     */
    public Map<String, TensorSpec> tensors() {
        return tensors;
    }

    /**
     * One tensor's spec.
     *
     * @param name the tensor's name
     * @return its spec
     * @throws PeftException when the file has no such tensor
     */
    public TensorSpec tensor(String name) {
        return entry(name).spec();
    }

    /**
     * A tensor's stored bytes, unchanged: little-endian elements, row-major.
     *
     * @param name the tensor's name
     * @return a new little-endian buffer, positioned at 0, with exactly the tensor's bytes
     * @throws PeftException when the tensor is missing or cannot be read
     */
    public ByteBuffer readBytes(String name) {
        SafetensorsHeader.Entry entry = entry(name);
        return readData(entry, ByteBuffer.allocate(checkedSize(entry)));
    }

    /**
     * A tensor's stored bytes, read into a caller's buffer, for readers that reuse one buffer
     * across tensors.
     *
     * @param name the tensor's name
     * @param target receives the bytes from index 0; its capacity must hold the tensor
     * @return {@code target}, little-endian, with position 0 and limit the tensor's size
     * @throws PeftException when the tensor is missing or cannot be read, or the buffer is too small
     */
    public ByteBuffer readBytes(String name, ByteBuffer target) {
        SafetensorsHeader.Entry entry = entry(name);
        int size = checkedSize(entry);
        if (target.capacity() < size) {
            throw new PeftException("Tensor '" + name + "' of " + path + " has " + size
                    + " bytes, more than the buffer's " + target.capacity());
        }
        return readData(entry, target.clear().limit(size));
    }

    /**
     * A tensor's values as float32: F16 and BF16 exactly, F64 rounded to nearest.
     *
     * @param name the tensor's name
     * @return the values, row-major
     * @throws PeftException when the tensor is missing, not a floating-point tensor, or cannot be read
     */
    public float[] readFloats(String name) {
        SafetensorsHeader.Entry entry = floatingEntry(name);
        return FloatCodec.toFloats(
                readData(entry, ByteBuffer.allocate(checkedSize(entry))),
                entry.spec().dtype());
    }

    /**
     * Where a floating-point tensor first holds NaN or ±Inf, judged in its stored precision (an F64
     * value beyond float32's range is finite).
     *
     * @param name the tensor's name
     * @return the flat row-major index of the first non-finite value, or empty when all are finite
     * @throws PeftException when the tensor is missing, not a floating-point tensor, or cannot be read
     */
    public OptionalLong firstNonFinite(String name) {
        SafetensorsHeader.Entry entry = floatingEntry(name);
        ByteBuffer bytes = readData(entry, ByteBuffer.allocate(checkedSize(entry)));
        if (entry.spec().dtype() == SafetensorsDtype.F64) {
            DoubleBuffer doubles = bytes.order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
            for (int i = 0; i < doubles.limit(); i++) {
                if (!Double.isFinite(doubles.get(i))) {
                    return OptionalLong.of(i);
                }
            }
            return OptionalLong.empty();
        }
        float[] values = FloatCodec.toFloats(bytes, entry.spec().dtype());
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return OptionalLong.of(i);
            }
        }
        return OptionalLong.empty();
    }

    /**
     * A tensor as an NDArray of its stored type: F32 → FLOAT32, F16 → FLOAT16, F64 → FLOAT64;
     * BF16 becomes FLOAT32 (exactly), because DJL 0.35.0 cannot hold BFLOAT16 arrays: MXNet
     * rejects the type, and PyTorch aborts the JVM when an array is created or cast to it.
     *
     * @param name the tensor's name
     * @param manager owns the new array
     * @return the array, with the tensor's shape
     * @throws PeftException when the tensor is missing, not a floating-point tensor, or cannot be read
     */
    public NDArray read(String name, NDManager manager) {
        SafetensorsHeader.Entry entry = floatingEntry(name);
        TensorSpec spec = entry.spec();
        if (spec.dtype() == SafetensorsDtype.BF16) {
            return manager.create(readFloats(name), spec.shape());
        }
        if (spec.elementCount() == 0) {
            return manager.create(spec.shape(), spec.dtype().dataType());
        }
        ByteBuffer direct = ByteBuffer.allocateDirect(checkedSize(entry)).order(ByteOrder.LITTLE_ENDIAN);
        return manager.create(
                readData(entry, direct), spec.shape(), spec.dtype().dataType());
    }

    /**
     * One tensor's spec, checking that its values can be read.
     *
     * @param name the tensor's name
     * @return its spec
     * @throws PeftException when the file has no such tensor, or it is not a floating-point tensor
     */
    public TensorSpec floatingTensor(String name) {
        return floatingEntry(name).spec();
    }

    /**
     * The bytes a tensor takes when read into memory.
     *
     * @param name the tensor's name
     * @return its size
     * @throws PeftException when the file has no such tensor, or it is too large for one buffer
     */
    public int sizeInMemory(String name) {
        return checkedSize(entry(name));
    }

    /**
     * Copies a tensor's bytes into a file being written, by the operating system where it can,
     * without holding them in memory.
     *
     * @param name the tensor's name
     * @param target the file being written
     * @param position where the tensor's first byte goes in {@code target}
     * @throws PeftException when the tensor is missing or a file cannot be read or written
     */
    void transferTo(String name, AtomicFile target, long position) {
        SafetensorsHeader.Entry entry = entry(name);
        target.transferFrom(channel, dataStart + entry.begin(), entry.spec().byteSize(), position, path);
    }

    /** Closes the file; tensors already read stay valid. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new PeftException("Cannot close " + path + ": " + e.getMessage(), e);
        }
    }

    private SafetensorsHeader.Entry entry(String name) {
        SafetensorsHeader.Entry entry = header.entries().get(name);
        if (entry == null) {
            throw new PeftException(path + " has no tensor '" + name + "' (it holds " + tensors.size() + " tensors)");
        }
        return entry;
    }

    private SafetensorsHeader.Entry floatingEntry(String name) {
        SafetensorsHeader.Entry entry = entry(name);
        if (!entry.spec().dtype().isFloatingPoint()) {
            throw new PeftException(
                    "Tensor '" + name + "' of " + path + " is " + entry.spec().dtype()
                            + ", not a floating-point tensor; peft4j reads the values of F64, F32, BF16 and F16 tensors"
                            + " and copies the others as bytes");
        }
        return entry;
    }

    private int checkedSize(SafetensorsHeader.Entry entry) {
        long size = entry.spec().byteSize();
        if (size > MAX_TENSOR_BYTES) {
            throw new PeftException(path + ": tensor '" + entry.spec().name() + "' has " + size
                    + " bytes; peft4j reads tensors of at most " + MAX_TENSOR_BYTES + " bytes");
        }
        return (int) size;
    }

    private ByteBuffer readData(SafetensorsHeader.Entry entry, ByteBuffer target) {
        try {
            fill(target, dataStart + entry.begin(), "tensor '" + entry.spec().name() + "'");
        } catch (IOException e) {
            throw new PeftException("Cannot read tensor '" + entry.spec().name() + "' from " + path + ": " + e, e);
        }
        return target.flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    private ByteBuffer readFully(int size, long position, String what) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(size);
        fill(buffer, position, what);
        return buffer.flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    private void fill(ByteBuffer target, long position, String what) throws IOException {
        long at = position;
        while (target.hasRemaining()) {
            int read = channel.read(target, at);
            if (read < 0) {
                throw new PeftException(path + " is truncated: it ends at byte " + at + " while reading " + what);
            }
            at += read;
        }
    }

    private String decodeUtf8(ByteBuffer bytes) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new PeftException(path + ": the JSON header is not valid UTF-8", e);
        }
    }
}
