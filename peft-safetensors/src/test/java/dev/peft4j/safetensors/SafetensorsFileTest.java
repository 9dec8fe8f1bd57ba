package dev.peft4j.safetensors;

import static dev.peft4j.safetensors.SafetensorsBytes.doubles;
import static dev.peft4j.safetensors.SafetensorsBytes.floats;
import static dev.peft4j.safetensors.SafetensorsBytes.shorts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.EngineSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SafetensorsFileTest {

    /** One tensor of each dtype, a scalar and an empty tensor, laid out as Python would. */
    private static final String MIXED_HEADER = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"hi\"},"
            + "\"f64\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
            + "\"f32\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[16,32]},"
            + "\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[32,36]},"
            + "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[36,36]},"
            + "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[36,44]},"
            + "\"f16\":{\"dtype\":\"F16\",\"shape\":[8],\"data_offsets\":[44,60]}}";

    private static final byte[] MIXED_DATA = concat(
            doubles(1.5, 1e300),
            floats(1f, -2f, 3.25f, Float.MIN_VALUE),
            floats(7f),
            shorts(0x3F80, 0xC040, 0x7F80, 0x0001),
            shorts(0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0xFC00, 0x8000, 0x3555));

    @TempDir
    Path dir;

    private static byte[] concat(byte[]... parts) {
        ByteBuffer all = ByteBuffer.allocate(
                Arrays.stream(parts).mapToInt(part -> part.length).sum());
        Arrays.stream(parts).forEach(all::put);
        return all.array();
    }

    private Path mixed() throws IOException {
        return SafetensorsBytes.write(dir.resolve("mixed.safetensors"), MIXED_HEADER, MIXED_DATA);
    }

    private PeftException openFails(Path file) {
        return assertThrows(
                PeftException.class, () -> SafetensorsFile.open(file).close());
    }

    private PeftException openFails(String header, byte[] data) throws IOException {
        return openFails(SafetensorsBytes.write(dir.resolve("bad.safetensors"), header, data));
    }

    private static void assertMessage(PeftException error, String... parts) {
        for (String part : parts) {
            assertTrue(error.getMessage().contains(part), () -> "'" + error.getMessage() + "' lacks '" + part + "'");
        }
    }

    @Test
    void readsTheTableAndTheMetadata() throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(mixed())) {
            assertEquals(Map.of("format", "pt", "note", "hi"), file.metadata());
            assertEquals(
                    List.of("f64", "f32", "scalar", "empty", "bf16", "f16"),
                    List.copyOf(file.tensors().keySet()));
            assertEquals(new TensorSpec("f16", SafetensorsDtype.F16, new Shape(8)), file.tensor("f16"));
            assertEquals(new Shape(), file.tensor("scalar").shape());
            assertEquals(0, file.tensor("empty").byteSize());
        }
    }

    @Test
    void convertsEveryDtypeToFloat32() throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(mixed())) {
            assertArrayEquals(new float[] {1.5f, Float.POSITIVE_INFINITY}, file.readFloats("f64"));
            assertArrayEquals(new float[] {1f, -2f, 3.25f, Float.MIN_VALUE}, file.readFloats("f32"));
            assertArrayEquals(new float[] {7f}, file.readFloats("scalar"));
            assertArrayEquals(new float[0], file.readFloats("empty"));
            assertArrayEquals(
                    new float[] {1f, -3f, Float.POSITIVE_INFINITY, Float.intBitsToFloat(0x0001_0000)},
                    file.readFloats("bf16"));
            assertArrayEquals(
                    new float[] {
                        1f,
                        -2f,
                        65504f,
                        0x1p-24f,
                        Float.POSITIVE_INFINITY,
                        Float.NEGATIVE_INFINITY,
                        -0f,
                        0.333251953125f
                    },
                    file.readFloats("f16"));
        }
    }

    @Test
    void rawBytesAreTheStoredOnes() throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(mixed())) {
            ByteBuffer bytes = file.readBytes("bf16");
            assertEquals(0, bytes.position());
            assertArrayEquals(shorts(0x3F80, 0xC040, 0x7F80, 0x0001), Arrays.copyOf(bytes.array(), bytes.limit()));
        }
    }

    @ParameterizedTest
    @EngineSource
    void ndArraysKeepTheStoredTypeExceptBfloat16(EngineBinding engine) throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(mixed());
                NDManager manager =
                        NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            NDArray f64 = file.read("f64", manager);
            assertEquals(DataType.FLOAT64, f64.getDataType());
            assertArrayEquals(new double[] {1.5, 1e300}, f64.toDoubleArray());
            NDArray f16 = file.read("f16", manager);
            assertEquals(DataType.FLOAT16, f16.getDataType());
            assertArrayEquals(file.readBytes("f16").array(), f16.toByteArray());
            assertArrayEquals(
                    file.readFloats("f16"), f16.toType(DataType.FLOAT32, false).toFloatArray());
            NDArray bf16 = file.read("bf16", manager);
            assertEquals(DataType.FLOAT32, bf16.getDataType(), "DJL holds no BFLOAT16 arrays");
            assertArrayEquals(file.readFloats("bf16"), bf16.toFloatArray());
            NDArray f32 = file.read("f32", manager);
            assertEquals(new Shape(2, 2), f32.getShape());
            assertArrayEquals(new float[] {1f, -2f, 3.25f, Float.MIN_VALUE}, f32.toFloatArray());
            assertEquals(new Shape(), file.read("scalar", manager).getShape());
            assertEquals(new Shape(0, 3), file.read("empty", manager).getShape());
        }
    }

    @Test
    void anUnknownTensorNameFails() throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(mixed())) {
            assertMessage(
                    assertThrows(PeftException.class, () -> file.readFloats("nope")), "no tensor 'nope'", "mixed");
        }
    }

    @Test
    void readingAfterCloseFails() throws IOException {
        SafetensorsFile file = SafetensorsFile.open(mixed());
        file.close();
        assertMessage(assertThrows(PeftException.class, () -> file.readFloats("f32")), "f32", "mixed");
    }

    @Test
    void aMissingFileFails() {
        assertMessage(openFails(dir.resolve("absent.safetensors")), "absent.safetensors", "does not exist");
    }

    @Test
    void aFileShorterThanTheLengthPrefixIsTruncated() throws IOException {
        Path file = Files.write(dir.resolve("short.safetensors"), new byte[] {16, 0, 0, 0, 0});
        assertMessage(openFails(file), "short.safetensors", "truncated", "5 bytes");
    }

    @Test
    void aFileCutInItsDataIsTruncated() throws IOException {
        byte[] whole = Files.readAllBytes(mixed());
        Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(whole, whole.length - 3));
        assertMessage(openFails(cut), "cut.safetensors", "'f16'", "[44, 60]", "beyond the data section");
    }

    @Test
    void aHeaderLengthBeyondTheFileSizeFails() throws IOException {
        byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
        Path file = SafetensorsBytes.write(dir.resolve("long.safetensors"), 4096, header, new byte[0]);
        assertMessage(openFails(file), "long.safetensors", "truncated", "header length is 4096", "only 2 bytes follow");
    }

    @ParameterizedTest
    @ValueSource(longs = {Long.MAX_VALUE, -1L, 100_000_001L, 1L << 40, 0L, 1L})
    void anAbsurdHeaderLengthFailsWithoutAllocating(long length) throws IOException {
        Path file = SafetensorsBytes.write(
                dir.resolve("absurd.safetensors"), length, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertMessage(
                openFails(file),
                "absurd.safetensors",
                "header length " + Long.toUnsignedString(length),
                "outside [2, 100000000]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":", "[1, 2]", "{\"a\": 1} x", "{'a': 1}", "{\"a\": NaN}", "{\"a\": 1,}"})
    void aMalformedJsonHeaderFails(String header) throws IOException {
        assertMessage(openFails(header, new byte[0]), "bad.safetensors", "JSON header", "malformed");
    }

    @Test
    void aTensorDeclaredTwiceFailsNamingIt() throws IOException {
        // The second declaration would win in a reader that keeps the last key, leaving [0, 4) to no tensor.
        String header = "{\"q.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"q.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertMessage(
                openFails(header, new byte[8]),
                "bad.safetensors",
                "the key \"q.weight\" appears twice in one object ($.q.weight)");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                "{\"__metadata__\":{\"format\":\"pt\",\"format\":\"np\"},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                "{\"__metadata__\":{},\"__metadata__\":{},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
            })
    void aRepeatedKeyAnywhereInTheHeaderFails(String header) throws IOException {
        assertMessage(openFails(header, new byte[4]), "bad.safetensors", "appears twice in one object");
    }

    @Test
    void aHeaderThatIsNotUtf8Fails() throws IOException {
        byte[] header = {'{', '"', (byte) 0xC3, '"', ':', '1', '}', ' '};
        Path file = SafetensorsBytes.write(dir.resolve("latin.safetensors"), header.length, header, new byte[0]);
        assertMessage(openFails(file), "latin.safetensors", "not valid UTF-8");
    }

    @Test
    void overlappingOffsetsFail() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}";
        assertMessage(openFails(header, new byte[24]), "bad.safetensors", "'a' [0, 16)", "'b' [8, 24)", "overlap");
    }

    @Test
    void outOfRangeOffsetsFail() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        assertMessage(openFails(header, new byte[12]), "bad.safetensors", "'a'", "[0, 16]", "beyond", "12 bytes");
    }

    @Test
    void offsetsBeyondLongFail() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[18446744073709551600,16]}}";
        assertMessage(openFails(header, new byte[16]), "'a'", "'data_offsets'", "non-negative integers");
    }

    @Test
    void aGapBetweenTensorsFails() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertMessage(openFails(header, new byte[12]), "bytes [4, 8)", "belong to no tensor");
    }

    @Test
    void trailingDataFails() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertMessage(openFails(header, new byte[8]), "has 8 bytes but its tensors end at 4");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "F8_E4M3:8:8",
                "F8_E5M2:8:8",
                "F8_E8M0:8:8",
                "C64:2:16",
                "F4:8:4",
                "F6_E2M3:4:3",
                "F6_E3M2:4:3",
                "F3_E1M1:8:3",
                "f32:2:8"
            })
    void everyOtherDtypeIsCarriedAsOpaqueBytes(String spec) throws IOException {
        String[] parts = spec.split(":");
        String dtype = parts[0];
        int elements = Integer.parseInt(parts[1]);
        int bytes = Integer.parseInt(parts[2]);
        String header = "{\"q.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"scales\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + elements + "],\"data_offsets\":[4,"
                + (4 + bytes) + "]}}";
        byte[] data = new byte[4 + bytes];
        new Random(1).nextBytes(data);
        Path file = SafetensorsBytes.write(dir.resolve("opaque.safetensors"), header, data);
        try (SafetensorsFile opened = SafetensorsFile.open(file)) {
            TensorSpec scales = opened.tensor("scales");
            assertEquals(dtype, scales.dtype().name());
            assertEquals(bytes, scales.byteSize());
            assertEquals(8 * bytes / elements, scales.dtype().bits());
            assertEquals(ByteBuffer.wrap(data, 4, bytes), opened.readBytes("scales"), "the bytes, as stored");
            assertMessage(
                    assertThrows(PeftException.class, () -> opened.readFloats("scales")),
                    "Tensor 'scales' of " + file + " is " + dtype + ", not a floating-point tensor");
            assertEquals(1, opened.readFloats("q.weight").length, "the other tensors read as usual");
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}",
                "{\"dtype\":\"NEW\",\"shape\":[3],\"data_offsets\":[0,2]}",
                "{\"dtype\":\"\",\"shape\":[1],\"data_offsets\":[0,2]}",
                "{\"dtype\":\"a b\",\"shape\":[1],\"data_offsets\":[0,2]}"
            })
    void aDtypeWhoseSizeCannotBeKnownFails(String tensor) throws IOException {
        assertMessage(openFails("{\"t\":" + tensor + "}", new byte[2]), "bad.safetensors: tensor 't'");
    }

    @Test
    void integerAndBooleanBuffersOpenAndAreReadAsBytesOnly() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"position_ids\":{\"dtype\":\"I64\",\"shape\":[1,2],\"data_offsets\":[0,16]},"
                + "\"u64\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[16,24]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]},"
                + "\"i32\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[28,32]},"
                + "\"u32\":{\"dtype\":\"U32\",\"shape\":[1],\"data_offsets\":[32,36]},"
                + "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[36,38]},"
                + "\"u16\":{\"dtype\":\"U16\",\"shape\":[1],\"data_offsets\":[38,40]},"
                + "\"i8\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[40,42]},"
                + "\"u8\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[42,44]},"
                + "\"mask\":{\"dtype\":\"BOOL\",\"shape\":[4],\"data_offsets\":[44,48]}}";
        byte[] data = new byte[48];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        try (SafetensorsFile file =
                SafetensorsFile.open(SafetensorsBytes.write(dir.resolve("ints.safetensors"), header, data))) {
            assertEquals(
                    new TensorSpec("position_ids", SafetensorsDtype.I64, new Shape(1, 2)), file.tensor("position_ids"));
            assertEquals(SafetensorsDtype.BOOL, file.tensor("mask").dtype());
            ByteBuffer ids = file.readBytes("position_ids");
            assertArrayEquals(Arrays.copyOfRange(data, 0, 16), Arrays.copyOf(ids.array(), ids.limit()));
            ByteBuffer mask = file.readBytes("mask");
            assertArrayEquals(Arrays.copyOfRange(data, 44, 48), Arrays.copyOf(mask.array(), mask.limit()));
            for (String name : List.of("position_ids", "u64", "i32", "u32", "i16", "u16", "i8", "u8", "mask")) {
                assertMessage(
                        assertThrows(PeftException.class, () -> file.readFloats(name)),
                        "'" + name + "'",
                        "ints.safetensors",
                        "not a floating-point tensor");
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void integerBuffersAreNotReadAsArrays(EngineBinding engine) throws IOException {
        String header = "{\"position_ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}";
        try (SafetensorsFile file = SafetensorsFile.open(
                        SafetensorsBytes.write(dir.resolve("ids.safetensors"), header, new byte[16]));
                NDManager manager =
                        NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            assertMessage(
                    assertThrows(PeftException.class, () -> file.read("position_ids", manager)),
                    "'position_ids'",
                    "is I64, not a floating-point tensor");
        }
    }

    @Test
    void bytesCanBeReadIntoOneReusedBuffer() throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(mixed())) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(64);
            ByteBuffer f16 = file.readBytes("f16", buffer);
            assertTrue(f16 == buffer, "the caller's buffer is filled");
            assertEquals(0, f16.position());
            assertEquals(16, f16.limit());
            assertEquals(file.readBytes("f16"), f16);
            assertEquals(file.readBytes("f32"), file.readBytes("f32", buffer));
            assertMessage(
                    assertThrows(PeftException.class, () -> file.readBytes("f16", ByteBuffer.allocate(8))),
                    "'f16'",
                    "16 bytes, more than the buffer's 8");
        }
    }

    @Test
    void aShapeThatDoesNotMatchTheSizeFails() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}";
        assertMessage(openFails(header, new byte[12]), "'w'", "needs 16 bytes", "[0, 12] span 12");
    }

    @Test
    void aShapeWhoseSizeOverflowsFails() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}";
        assertMessage(openFails(header, new byte[0]), "bad.safetensors", "'w'", "too many elements");
        String bytes = "{\"w\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}";
        assertMessage(openFails(bytes, new byte[0]), "bad.safetensors", "'w'", "too large");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"w\":[1]}",
                "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}",
                "{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}",
                "{\"__metadata__\":{\"format\":1},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                "{\"__metadata__\":[],\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
            })
    void valuesOfTheWrongJsonTypeFail(String header) throws IOException {
        assertMessage(openFails(header, new byte[4]), "bad.safetensors");
    }

    @Test
    void anEmptyFileWithOnlyAHeaderIsValid() throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(
                SafetensorsBytes.write(dir.resolve("empty.safetensors"), "{}      ", new byte[0]))) {
            assertEquals(Map.of(), file.tensors());
            assertEquals(Map.of(), file.metadata());
        }
    }
}
