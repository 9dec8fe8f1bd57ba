package dev.peft4j.safetensors;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.stream.JsonWriter;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JSON header of a safetensors file: its {@code __metadata__} and, for each tensor, the spec
 * and the byte range in the data section. Parsing validates everything a reader relies on;
 * {@link #layout} builds the header Python's safetensors would write for the same tensors.
 *
 * @param metadata the {@code __metadata__} strings, in header order, or {@code null} when the
 *     header has no {@code __metadata__} (written back without one)
 * @param entries the tensors by name, in header order
 * @param dataSize the size of the data section in bytes
 */
record SafetensorsHeader(Map<String, String> metadata, Map<String, SafetensorsHeader.Entry> entries, long dataSize) {

    /** The header key that holds the metadata. */
    static final String METADATA_KEY = "__metadata__";

    /** Headers are padded with spaces to a multiple of this, as Python's safetensors does. */
    static final int ALIGNMENT = 8;

    /**
     * One tensor of the header.
     *
     * @param spec its name, dtype and shape
     * @param begin the offset of its first byte in the data section
     * @param end the offset after its last byte
     */
    record Entry(TensorSpec spec, long begin, long end) {}

    SafetensorsHeader {
        metadata = metadata == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    /**
     * Parses and validates a header: JSON types, supported dtypes, sizes that match the shapes,
     * and byte ranges that tile the data section exactly, as Python's safetensors requires.
     *
     * @param json the header text
     * @param dataSize the bytes that follow the header in the file
     * @param file the file, for messages
     * @return the header
     * @throws PeftException naming the file, the tensor and what was expected
     */
    static SafetensorsHeader parse(String json, long dataSize, String file) {
        JsonObject root = StrictJson.parseObject(new StringReader(json), "The JSON header of " + file);
        Map<String, String> metadata = null;
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> member : root.entrySet()) {
            if (METADATA_KEY.equals(member.getKey())) {
                metadata = parseMetadata(member.getValue(), file);
            } else {
                Entry entry = parseEntry(member.getKey(), member.getValue(), file);
                checkRange(entry, dataSize, file);
                entries.put(member.getKey(), entry);
            }
        }
        checkTiling(entries.values(), dataSize, file);
        return new SafetensorsHeader(metadata, entries, dataSize);
    }

    /**
     * Lays tensors out as Python's safetensors does: widest dtype first, then by name, contiguous
     * from offset 0.
     *
     * @param specs the tensors, each name once
     * @param metadata the {@code __metadata__} strings
     * @return the header
     * @throws PeftException when a name repeats or is {@code __metadata__}
     */
    static SafetensorsHeader layout(List<TensorSpec> specs, Map<String, String> metadata) {
        List<TensorSpec> sorted = new ArrayList<>(specs);
        sorted.sort(Comparator.comparing(TensorSpec::dtype).thenComparing(TensorSpec::name));
        return inOrder(sorted, metadata);
    }

    /**
     * Lays tensors out contiguously from offset 0 in the given order, for example another file's.
     *
     * @param specs the tensors, each name once, in the order their data follows the header
     * @param metadata the {@code __metadata__} strings, or {@code null} for none
     * @return the header
     * @throws PeftException when a name repeats or is {@code __metadata__}
     */
    static SafetensorsHeader inOrder(List<TensorSpec> specs, Map<String, String> metadata) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        long offset = 0;
        for (TensorSpec spec : specs) {
            if (METADATA_KEY.equals(spec.name())) {
                throw new PeftException("'" + METADATA_KEY + "' is reserved for metadata and cannot name a tensor");
            }
            long end = Math.addExact(offset, spec.byteSize());
            if (entries.put(spec.name(), new Entry(spec, offset, end)) != null) {
                throw new PeftException("Tensor '" + spec.name() + "' is declared twice; safetensors names are unique");
            }
            offset = end;
        }
        return new SafetensorsHeader(metadata, entries, offset);
    }

    /**
     * The header as stored: compact JSON, metadata first, padded with spaces to a multiple of 8.
     *
     * @return the UTF-8 bytes, without the 8-byte length that precedes them in a file
     */
    byte[] encode() {
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.beginObject();
            if (metadata != null) {
                json.name(METADATA_KEY).beginObject();
                for (Map.Entry<String, String> item : metadata.entrySet()) {
                    json.name(item.getKey()).value(item.getValue());
                }
                json.endObject();
            }
            for (Entry entry : entries.values()) {
                json.name(entry.spec().name()).beginObject();
                json.name("dtype").value(entry.spec().dtype().name());
                json.name("shape").beginArray();
                for (long dimension : entry.spec().shape().getShape()) {
                    json.value(dimension);
                }
                json.endArray();
                json.name("data_offsets")
                        .beginArray()
                        .value(entry.begin())
                        .value(entry.end())
                        .endArray();
                json.endObject();
            }
            json.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (bytes.length + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        byte[] result = Arrays.copyOf(bytes, padded);
        Arrays.fill(result, bytes.length, padded, (byte) ' ');
        return result;
    }

    private static Map<String, String> parseMetadata(JsonElement value, String file) {
        if (!value.isJsonObject()) {
            throw new PeftException(
                    file + ": " + METADATA_KEY + " must be an object of strings, found " + StrictJson.preview(value));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> item : value.getAsJsonObject().entrySet()) {
            String text = StrictJson.string(item.getValue())
                    .orElseThrow(() -> new PeftException(file + ": " + METADATA_KEY + " value of '" + item.getKey()
                            + "' must be a string, found " + StrictJson.preview(item.getValue())));
            metadata.put(item.getKey(), text);
        }
        return metadata;
    }

    private static Entry parseEntry(String name, JsonElement value, String file) {
        String where = file + ": tensor '" + name + "'";
        if (!value.isJsonObject()) {
            throw new PeftException(where + " must be an object with dtype, shape and data_offsets, found "
                    + StrictJson.preview(value));
        }
        JsonObject object = value.getAsJsonObject();
        String dtypeName = Optional.ofNullable(object.get("dtype"))
                .flatMap(StrictJson::string)
                .orElseThrow(() -> new PeftException(
                        where + " must have a string 'dtype', found " + StrictJson.preview(object.get("dtype"))));
        long[] shape = nonNegativeLongs(object.get("shape"), -1, where, "'shape'");
        long[] offsets = nonNegativeLongs(object.get("data_offsets"), 2, where, "'data_offsets'");
        if (offsets[0] > offsets[1]) {
            throw new PeftException(where + " has data_offsets " + Arrays.toString(offsets) + "; begin must be ≤ end");
        }
        TensorSpec spec;
        try {
            SafetensorsDtype dtype = SafetensorsDtype.byName(dtypeName)
                    .orElseGet(() -> opaque(dtypeName, new Shape(shape), offsets[1] - offsets[0]));
            spec = new TensorSpec(name, dtype, new Shape(shape));
        } catch (PeftException e) {
            throw new PeftException(where + ": " + e.getMessage(), e);
        }
        SafetensorsDtype dtype = spec.dtype();
        if (offsets[1] - offsets[0] != spec.byteSize()) {
            throw new PeftException(where + " of dtype " + dtype + " and shape " + spec.shape() + " needs "
                    + spec.byteSize() + " bytes, but its data_offsets " + Arrays.toString(offsets) + " span "
                    + (offsets[1] - offsets[0]));
        }
        return new Entry(spec, offsets[0], offsets[1]);
    }

    /**
     * A dtype the format does not define, its element size taken from the tensor's bytes: the bytes
     * must hold a whole number of bits per element (any size for an empty tensor).
     */
    private static SafetensorsDtype opaque(String name, Shape shape, long bytes) {
        long elements = shape.size();
        if (elements == 0) {
            return SafetensorsDtype.opaque(name, Byte.SIZE);
        }
        if (bytes == 0 || (bytes * Byte.SIZE) % elements != 0 || bytes * Byte.SIZE / elements > Integer.MAX_VALUE) {
            throw new PeftException("dtype " + name + ", which the safetensors format does not define, spans " + bytes
                    + " bytes for " + elements + " elements: no whole number of bits per element, so its size"
                    + " cannot follow from its offsets");
        }
        return SafetensorsDtype.opaque(name, (int) (bytes * Byte.SIZE / elements));
    }

    private static long[] nonNegativeLongs(JsonElement value, int length, String where, String field) {
        String expected = " must be an array of " + (length < 0 ? "" : length + " ") + "non-negative integers, found ";
        if (value == null
                || !value.isJsonArray()
                || (length >= 0 && value.getAsJsonArray().size() != length)) {
            throw new PeftException(where + ": " + field + expected + StrictJson.preview(value));
        }
        JsonArray array = value.getAsJsonArray();
        long[] result = new long[array.size()];
        for (int i = 0; i < result.length; i++) {
            BigInteger number = StrictJson.integer(array.get(i))
                    .filter(n -> n.signum() >= 0 && n.bitLength() < Long.SIZE)
                    .orElseThrow(() -> new PeftException(where + ": " + field + expected + StrictJson.preview(value)));
            result[i] = number.longValue();
        }
        return result;
    }

    private static void checkRange(Entry entry, long dataSize, String file) {
        if (entry.end() > dataSize) {
            throw new PeftException(file + ": tensor '" + entry.spec().name() + "' has data_offsets [" + entry.begin()
                    + ", " + entry.end() + "] beyond the data section, which has " + dataSize + " bytes");
        }
    }

    private static void checkTiling(Iterable<Entry> entries, long dataSize, String file) {
        List<Entry> byOffset = new ArrayList<>();
        entries.forEach(byOffset::add);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        Entry previous = null;
        for (Entry entry : byOffset) {
            if (entry.begin() < expected) {
                throw new PeftException(file + ": tensors '" + previous.spec().name() + "' " + range(previous)
                        + " and '" + entry.spec().name() + "' " + range(entry) + " overlap");
            }
            if (entry.begin() > expected) {
                throw new PeftException(file + ": bytes [" + expected + ", " + entry.begin()
                        + ") of the data section belong to no tensor; tensors must be contiguous");
            }
            expected = entry.end();
            previous = entry;
        }
        if (expected != dataSize) {
            throw new PeftException(file + ": the data section has " + dataSize + " bytes but its tensors end at "
                    + expected + "; the file has trailing bytes");
        }
    }

    private static String range(Entry entry) {
        return "[" + entry.begin() + ", " + entry.end() + ")";
    }
}
