package dev.peft4j.it;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.peft4j.safetensors.SafetensorsDtype;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Safetensors files for fuzzing the reader: a valid file built from a seed (up to four tensors of
 * random dtype and shape, metadata, data), then often damaged: bytes flipped, the file cut short,
 * a hostile declared header length, a hostile value in the tensor table, data bytes added or
 * dropped, byte ranges that overlap or leave gaps, or a header that is no JSON at all.
 */
final class FuzzedSafetensors {

    private static final Map<String, Integer> DTYPES = Map.of("F32", 4, "F16", 2, "BF16", 2, "F64", 8);
    /** The four valid float types first, then every other type the format defines, then names it does not. */
    private static final List<String> DTYPE_NAMES = Stream.concat(
                    Stream.of("F32", "F16", "BF16", "F64"),
                    Stream.concat(
                            SafetensorsDtype.defined().stream()
                                    .map(SafetensorsDtype::name)
                                    .filter(name -> !DTYPES.containsKey(name)),
                            Stream.of("f32", "", "NEW_TYPE", "F8 E4M3", "é")))
            .toList();

    private static final List<String> FIELDS = List.of("dtype", "shape", "data_offsets");

    private FuzzedSafetensors() {}

    /**
     * A file's bytes from a seed.
     *
     * @param seed the seed
     * @return the bytes, valid or damaged
     */
    static byte[] of(long seed) {
        Random random = new Random(seed);
        JsonObject header = new JsonObject();
        List<JsonObject> tensors = new ArrayList<>();
        byte[] data = valid(random, header, tensors, random.nextBoolean());
        return damage(random, header, tensors, data);
    }

    /**
     * A valid file from a seed whose header then repeats one key (a tensor name, a tensor's field,
     * a metadata key or {@code __metadata__} itself).
     *
     * @param seed the seed
     * @return the bytes
     */
    static byte[] withARepeatedKey(long seed) {
        Random random = new Random(seed);
        JsonObject header = new JsonObject();
        byte[] data = valid(random, header, new ArrayList<>(), true);
        return file(Hostile.repeatAKey(random, header).getBytes(StandardCharsets.UTF_8), data);
    }

    /** Fills a valid header and its tables; returns the data. */
    private static byte[] valid(Random random, JsonObject header, List<JsonObject> tensors, boolean withMetadata) {
        if (withMetadata) {
            JsonObject metadata = new JsonObject();
            metadata.addProperty("format", "pt");
            header.add("__metadata__", metadata);
        }
        long offset = 0;
        for (int i = random.nextInt(5); i > 0; i--) {
            JsonObject tensor = new JsonObject();
            String dtype = DTYPE_NAMES.get(random.nextInt(4));
            JsonArray shape = new JsonArray();
            long elements = 1;
            for (int dimensions = random.nextInt(4); dimensions > 0; dimensions--) {
                int dimension = random.nextInt(5);
                shape.add(dimension);
                elements *= dimension;
            }
            long end = offset + elements * DTYPES.get(dtype);
            tensor.addProperty("dtype", dtype);
            tensor.add("shape", shape);
            tensor.add("data_offsets", offsets(offset, end));
            header.add("base_model.model." + i + "." + Hostile.string(random), tensor);
            tensors.add(tensor);
            offset = end;
        }
        byte[] data = new byte[(int) offset];
        random.nextBytes(data);
        return data;
    }

    private static byte[] damage(Random random, JsonObject header, List<JsonObject> tensors, byte[] data) {
        switch (random.nextInt(9)) {
            case 0:
                return file(header.toString().getBytes(StandardCharsets.UTF_8), data);
            case 1:
                return Hostile.flip(random, file(header.toString().getBytes(StandardCharsets.UTF_8), data));
            case 2: {
                byte[] whole = file(header.toString().getBytes(StandardCharsets.UTF_8), data);
                byte[] cut = new byte[random.nextInt(whole.length + 1)];
                System.arraycopy(whole, 0, cut, 0, cut.length);
                return cut;
            }
            case 3: {
                byte[] whole = file(header.toString().getBytes(StandardCharsets.UTF_8), data);
                ByteBuffer.wrap(whole)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(0, Hostile.length(random, whole.length - 8L));
                return whole;
            }
            case 4: {
                JsonObject target = tensors.isEmpty() ? header : tensors.get(random.nextInt(tensors.size()));
                String field =
                        random.nextInt(8) == 0 ? Hostile.string(random) : FIELDS.get(random.nextInt(FIELDS.size()));
                if (random.nextInt(6) == 0) {
                    target.remove(field);
                } else if (field.equals("dtype") && random.nextBoolean()) {
                    target.addProperty(field, DTYPE_NAMES.get(random.nextInt(DTYPE_NAMES.size())));
                } else if (random.nextBoolean()) {
                    JsonArray numbers = new JsonArray();
                    for (int i = random.nextInt(4); i > 0; i--) {
                        numbers.add(Hostile.number(random));
                    }
                    target.add(field, numbers);
                } else {
                    target.add(field, Hostile.value(random, 3));
                }
                return file(header.toString().getBytes(StandardCharsets.UTF_8), data);
            }
            case 5: {
                int change = random.nextInt(9) - 4;
                byte[] resized = new byte[Math.max(0, data.length + change)];
                System.arraycopy(data, 0, resized, 0, Math.min(data.length, resized.length));
                return file(header.toString().getBytes(StandardCharsets.UTF_8), resized);
            }
            case 6:
                for (JsonObject tensor : tensors) {
                    long begin = tensor.getAsJsonArray("data_offsets").get(0).getAsLong() + random.nextInt(5) - 2;
                    long end = tensor.getAsJsonArray("data_offsets").get(1).getAsLong() + random.nextInt(5) - 2;
                    tensor.add("data_offsets", offsets(begin, end));
                }
                return file(header.toString().getBytes(StandardCharsets.UTF_8), data);
            case 7:
                return file(Hostile.damage(random, header.toString()), data);
            default: {
                byte[] text = new byte[random.nextInt(64)];
                random.nextBytes(text);
                return file(text, data);
            }
        }
    }

    private static JsonArray offsets(long begin, long end) {
        JsonArray offsets = new JsonArray();
        offsets.add(begin);
        offsets.add(end);
        return offsets;
    }

    /** The 8-byte little-endian header length, the header, then the data. */
    private static byte[] file(byte[] header, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8 + header.length + data.length);
        out.writeBytes(ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length)
                .array());
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }
}
