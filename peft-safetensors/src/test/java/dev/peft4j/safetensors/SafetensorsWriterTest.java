package dev.peft4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

class SafetensorsWriterTest {

    /**
     * What Python's safetensors 0.8.0 wrote for these tensors ({@code safetensors.serialize} with
     * {@code metadata={"format": "pt"}}): widest dtype first, then by name; compact JSON padded
     * with spaces to a multiple of 8.
     */
    private static final String PYTHON_HEADER = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"m\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[0,8]},"
            + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[8,8]},"
            + "\"z\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]},"
            + "\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[12,18]},"
            + "\"b.weight\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[18,30]}}     ";

    private static final String PYTHON_DATA =
            "0000000000000440" + "0000803f" + "646566676869" + "000102030405060708090a0b";

    @TempDir
    Path dir;

    /** The tensors of {@link #PYTHON_HEADER}, declared in another order, with their bytes. */
    private static Map<TensorSpec, byte[]> pythonTensors() {
        Map<TensorSpec, byte[]> tensors = new LinkedHashMap<>();
        tensors.put(
                new TensorSpec("b.weight", SafetensorsDtype.F16, new Shape(2, 3)),
                HexFormat.of().parseHex("000102030405060708090a0b"));
        tensors.put(
                new TensorSpec("a", SafetensorsDtype.BF16, new Shape(3)),
                HexFormat.of().parseHex("646566676869"));
        tensors.put(
                new TensorSpec("z", SafetensorsDtype.F32, new Shape()),
                HexFormat.of().parseHex("0000803f"));
        tensors.put(
                new TensorSpec("m", SafetensorsDtype.F64, new Shape(1, 1)),
                HexFormat.of().parseHex("0000000000000440"));
        tensors.put(new TensorSpec("e", SafetensorsDtype.F32, new Shape(0, 4)), new byte[0]);
        return tensors;
    }

    private static void write(Path target, Map<TensorSpec, byte[]> tensors, Map<String, String> metadata) {
        try (SafetensorsWriter writer = SafetensorsWriter.create(target, List.copyOf(tensors.keySet()), metadata)) {
            tensors.forEach((spec, bytes) -> writer.write(spec.name(), ByteBuffer.wrap(bytes)));
            writer.commit();
        }
    }

    private List<Path> filesInDir() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    @Test
    void theFileIsWhatPythonsSafetensorsWrites() throws IOException {
        Path file = dir.resolve("python.safetensors");
        write(file, pythonTensors(), Map.of());
        byte[] header = PYTHON_HEADER.getBytes(StandardCharsets.UTF_8);
        ByteBuffer expected = ByteBuffer.allocate(8 + header.length + PYTHON_DATA.length() / 2)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length)
                .put(header)
                .put(HexFormat.of().parseHex(PYTHON_DATA));
        assertEquals(320, header.length);
        assertArrayEquals(expected.array(), Files.readAllBytes(file));
    }

    @Test
    void theHeaderHasPythonsStructure() throws IOException {
        Path file = dir.resolve("meta.safetensors");
        write(file, pythonTensors(), Map.of("source", "peft4j"));
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long length = bytes.getLong(0);
        assertEquals(0, length % 8);
        String header = new String(bytes.array(), 8, (int) length, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\",\"source\":\"peft4j\"},\"m\":"), header);
        String json = header.stripTrailing();
        assertTrue(json.endsWith("}") && !json.contains(" "), "compact JSON: " + json);
        assertEquals(" ".repeat(header.length() - json.length()), header.substring(json.length()));
        assertTrue(header.length() - json.length() < 8, "padded with fewer than 8 spaces");
        assertEquals(8 + length + 30, bytes.capacity(), "the data section follows the header, contiguous");
    }

    @Test
    void writeThenReadIsBitIdenticalForEveryDtype() throws IOException {
        Random random = new Random(42);
        Map<TensorSpec, byte[]> tensors = new LinkedHashMap<>();
        List<SafetensorsDtype> dtypes = new ArrayList<>(SafetensorsDtype.defined());
        dtypes.add(SafetensorsDtype.opaque("F3_E1M1", 3));
        for (SafetensorsDtype dtype : dtypes) {
            List<Shape> shapes = dtype.bits() % 8 == 0
                    ? List.of(new Shape(3, 8), new Shape(7), new Shape(), new Shape(2, 0))
                    : List.of(new Shape(3, 8), new Shape(8), new Shape(2, 0));
            for (Shape shape : shapes) {
                TensorSpec spec = new TensorSpec(dtype + "." + tensors.size(), dtype, shape);
                byte[] bytes = new byte[(int) spec.byteSize()];
                random.nextBytes(bytes);
                tensors.put(spec, bytes);
            }
        }
        TensorSpec nans = new TensorSpec("nan.payloads", SafetensorsDtype.BF16, new Shape(4));
        tensors.put(nans, SafetensorsBytes.shorts(0x7FC1, 0xFF81, 0x7F80, 0x8001));
        Path file = dir.resolve("all.safetensors");
        write(file, tensors, Map.of());
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt"), read.metadata());
            assertEquals(tensors.size(), read.tensors().size());
            tensors.forEach((spec, bytes) -> {
                assertEquals(spec, read.tensor(spec.name()));
                ByteBuffer stored = read.readBytes(spec.name());
                assertArrayEquals(bytes, Arrays.copyOf(stored.array(), stored.limit()), spec.name());
            });
        }
    }

    @Test
    void everyDtypeIsLaidOutInPythonsOrder() {
        List<String> python = List.of(
                "U64",
                "I64",
                "F64",
                "C64",
                "F32",
                "U32",
                "I32",
                "BF16",
                "F16",
                "U16",
                "I16",
                "F8_E8M0",
                "F8_E4M3",
                "F8_E5M2",
                "I8",
                "U8",
                "F6_E3M2",
                "F6_E2M3",
                "F4",
                "BOOL",
                "NEW_TYPE");
        List<SafetensorsDtype> shuffled = new ArrayList<>(SafetensorsDtype.defined());
        shuffled.add(SafetensorsDtype.opaque("NEW_TYPE", 8));
        Collections.shuffle(shuffled, new Random(7));
        List<TensorSpec> specs = new ArrayList<>();
        for (SafetensorsDtype dtype : shuffled) {
            specs.add(new TensorSpec("b." + dtype, dtype, new Shape(8)));
            specs.add(new TensorSpec("a." + dtype, dtype, new Shape(8)));
        }
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir.resolve("order.safetensors"), specs, Map.of())) {
            List<String> expected = new ArrayList<>();
            python.forEach(dtype -> expected.addAll(List.of("a." + dtype, "b." + dtype)));
            assertEquals(
                    expected, writer.tensors().stream().map(TensorSpec::name).toList());
        }
    }

    @Test
    void copyingEveryTensorInTheSourceOrderReproducesTheFile() throws IOException {
        String json = "{\"__metadata__\":{\"format\":\"pt\",\"origin\":\"hand-made\"},"
                + "\"z.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"position_ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[8,24]},"
                + "\"a.mask\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[24,27]},"
                + "\"h.bias\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[27,31]}}";
        String header = json + " ".repeat((8 - json.length() % 8) % 8);
        byte[] data = new byte[31];
        new Random(7).nextBytes(data);
        Path source = SafetensorsBytes.write(dir.resolve("source.safetensors"), header, data);
        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsFile file = SafetensorsFile.open(source);
                SafetensorsWriter writer = SafetensorsWriter.createInOrder(
                        copy, List.copyOf(file.tensors().values()), file.metadata())) {
            assertEquals(
                    List.of("z.weight", "position_ids", "a.mask", "h.bias"),
                    writer.tensors().stream().map(TensorSpec::name).toList(),
                    "the source's order, not Python's");
            List<String> names = new ArrayList<>(file.tensors().keySet());
            Collections.reverse(names);
            names.forEach(name -> writer.copy(file, name));
            writer.commit();
        }
        assertEquals(-1, Files.mismatch(source, copy), "byte for byte, header included");
    }

    @Test
    void aFileWithoutMetadataIsReproducedWithoutMetadata() throws IOException {
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] data = new byte[8];
        new Random(8).nextBytes(data);
        Path source = SafetensorsBytes.write(
                dir.resolve("bare.safetensors"), json + " ".repeat((8 - json.length() % 8) % 8), data);
        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsFile file = SafetensorsFile.open(source);
                SafetensorsWriter writer = SafetensorsWriter.createInOrder(
                        copy, List.copyOf(file.tensors().values()), file.hasMetadata() ? file.metadata() : null)) {
            assertFalse(file.hasMetadata());
            writer.copy(file, "w");
            writer.commit();
        }
        assertEquals(-1, Files.mismatch(source, copy), "no __metadata__ added");
        try (SafetensorsFile file = SafetensorsFile.open(copy)) {
            assertEquals(Map.of(), file.metadata());
        }
    }

    @Test
    void copyingATensorOfAnotherDtypeOrShapeFails() throws IOException {
        Path source = dir.resolve("source.safetensors");
        write(source, pythonTensors(), Map.of());
        Path target = dir.resolve("target.safetensors");
        try (SafetensorsFile file = SafetensorsFile.open(source);
                SafetensorsWriter writer = SafetensorsWriter.create(
                        target, List.of(new TensorSpec("a", SafetensorsDtype.F16, new Shape(3))), Map.of())) {
            PeftException error = assertThrows(PeftException.class, () -> writer.copy(file, "a"));
            assertTrue(
                    error.getMessage().contains("'a' is BF16 (3) in " + source + " but declared F16 (3)"),
                    error.getMessage());
        }
        assertEquals(List.of(source), filesInDir());
    }

    @ParameterizedTest
    @EngineSource
    void arraysAreNotWrittenToIntegerTensors(EngineBinding engine) throws IOException {
        Path file = dir.resolve("ids.safetensors");
        try (NDManager manager =
                        NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName());
                SafetensorsWriter writer = SafetensorsWriter.create(
                        file, List.of(new TensorSpec("ids", SafetensorsDtype.I64, new Shape(2))), Map.of())) {
            PeftException error =
                    assertThrows(PeftException.class, () -> writer.write("ids", manager.create(new long[] {1, 2})));
            assertTrue(
                    error.getMessage().contains("'ids'")
                            && error.getMessage().contains("declared I64, not a " + "floating-point tensor"),
                    error.getMessage());
        }
        assertFalse(Files.exists(file));
    }

    @Test
    void tensorsMayBeWrittenInAnyOrder() throws IOException {
        Path inOrder = dir.resolve("in-order.safetensors");
        write(inOrder, pythonTensors(), Map.of());
        Map<TensorSpec, byte[]> reversed = new LinkedHashMap<>();
        List<TensorSpec> specs = new ArrayList<>(pythonTensors().keySet());
        Collections.reverse(specs);
        specs.forEach(spec -> reversed.put(spec, pythonTensors().get(spec)));
        Path reversedFile = dir.resolve("reversed.safetensors");
        write(reversedFile, reversed, Map.of());
        assertEquals(-1, Files.mismatch(inOrder, reversedFile));
    }

    @Test
    void aFailingTensorSourceLeavesNoFile() throws IOException {
        Path target = dir.resolve("adapter_model.safetensors");
        Map<TensorSpec, byte[]> tensors = pythonTensors();
        RuntimeException failure = assertThrows(IllegalStateException.class, () -> {
            try (SafetensorsWriter writer = SafetensorsWriter.create(target, List.copyOf(tensors.keySet()), Map.of())) {
                int written = 0;
                for (Map.Entry<TensorSpec, byte[]> tensor : tensors.entrySet()) {
                    if (written++ == 2) {
                        throw new IllegalStateException("the tensor source failed");
                    }
                    writer.write(tensor.getKey().name(), ByteBuffer.wrap(tensor.getValue()));
                }
                writer.commit();
            }
        });
        assertEquals("the tensor source failed", failure.getMessage());
        assertEquals(List.of(), filesInDir(), "neither the target nor a temporary file is left");
    }

    @Test
    void aFailedWriteLeavesAnExistingFileUnchanged() throws IOException {
        Path target = Files.writeString(dir.resolve("adapter_model.safetensors"), "the previous adapter");
        TensorSpec spec = new TensorSpec("w", SafetensorsDtype.F32, new Shape(2));
        try (SafetensorsWriter writer = SafetensorsWriter.create(target, List.of(spec), Map.of())) {
            assertThrows(PeftException.class, () -> writer.write("w", ByteBuffer.allocate(4)));
        }
        assertEquals("the previous adapter", Files.readString(target));
        assertEquals(List.of(target), filesInDir());
    }

    @Test
    void aCommitReplacesAnExistingFile() throws IOException {
        Path target = Files.writeString(dir.resolve("adapter_model.safetensors"), "the previous adapter");
        write(target, pythonTensors(), Map.of());
        try (SafetensorsFile file = SafetensorsFile.open(target)) {
            assertEquals(5, file.tensors().size());
        }
        assertEquals(List.of(target), filesInDir());
    }

    @Test
    void misuseFailsWithClearMessages() throws IOException {
        Path target = dir.resolve("misuse.safetensors");
        TensorSpec w = new TensorSpec("w", SafetensorsDtype.F32, new Shape(2));
        TensorSpec v = new TensorSpec("v", SafetensorsDtype.F16, new Shape(2));
        try (SafetensorsWriter writer = SafetensorsWriter.create(target, List.of(w, v), Map.of())) {
            assertEquals(List.of(w, v), writer.tensors());
            PeftException size = assertThrows(PeftException.class, () -> writer.write("w", ByteBuffer.allocate(4)));
            assertTrue(size.getMessage().contains("got 4 bytes, expected 8 for F32 (2)"), size.getMessage());
            PeftException undeclared =
                    assertThrows(PeftException.class, () -> writer.write("x", ByteBuffer.allocate(4)));
            assertTrue(undeclared.getMessage().contains("'x' was not declared"), undeclared.getMessage());
            writer.write("w", ByteBuffer.allocate(8));
            PeftException twice = assertThrows(PeftException.class, () -> writer.write("w", ByteBuffer.allocate(8)));
            assertTrue(twice.getMessage().contains("already written"), twice.getMessage());
            PeftException early = assertThrows(PeftException.class, writer::commit);
            assertTrue(early.getMessage().contains("1 declared tensors were not written, among them 'v'"));
            writer.write("v", ByteBuffer.allocate(4));
            writer.commit();
            PeftException late = assertThrows(PeftException.class, () -> writer.write("v", ByteBuffer.allocate(4)));
            assertTrue(late.getMessage().contains("already committed"), late.getMessage());
        }
        assertTrue(Files.exists(target));
        PeftException duplicate = assertThrows(
                PeftException.class,
                () -> SafetensorsWriter.create(dir.resolve("dup.safetensors"), List.of(w, w), Map.of()));
        assertTrue(duplicate.getMessage().contains("'w' is declared twice"));
        assertFalse(Files.exists(dir.resolve("dup.safetensors")));
        PeftException reserved = assertThrows(
                PeftException.class,
                () -> SafetensorsWriter.create(
                        dir.resolve("reserved.safetensors"),
                        List.of(new TensorSpec("__metadata__", SafetensorsDtype.F32, new Shape())),
                        Map.of()));
        assertTrue(reserved.getMessage().contains("'__metadata__' is reserved"), reserved.getMessage());
        assertThrows(
                PeftException.class,
                () -> SafetensorsWriter.create(dir.resolve("no/such/dir/x.safetensors"), List.of(w), Map.of()));
    }

    @ParameterizedTest
    @EngineSource
    void ndArraysRoundTripInTheirOwnTypes(EngineBinding engine) throws IOException {
        Path file = dir.resolve("arrays.safetensors");
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            NDArray f32 = manager.create(new float[] {1f, -2.5f, Float.MIN_VALUE, 3e38f, -0f, 7f}, new Shape(2, 3));
            NDArray f64 = manager.create(new double[] {Math.PI, -1e-300});
            NDArray f16 = manager.create(new float[] {0.1f, 65504f, -3f}).toType(DataType.FLOAT16, false);
            NDArray transposed = f32.transpose();
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            arrays.put("f32", f32);
            arrays.put("f64", f64);
            arrays.put("f16", f16);
            arrays.put("transposed", transposed);
            arrays.put("empty", manager.zeros(new Shape(0, 3)));
            SafetensorsWriter.save(file, arrays, Map.of());
            try (SafetensorsFile read = SafetensorsFile.open(file)) {
                assertEquals(SafetensorsDtype.F16, read.tensor("f16").dtype());
                for (Map.Entry<String, NDArray> array : arrays.entrySet()) {
                    NDArray back = read.read(array.getKey(), manager);
                    assertEquals(array.getValue().getDataType(), back.getDataType());
                    assertEquals(array.getValue().getShape(), back.getShape());
                    assertArrayEquals(array.getValue().toByteArray(), back.toByteArray(), array.getKey());
                }
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void ndArraysAreConvertedToTheDeclaredDtype(EngineBinding engine) throws IOException {
        Path file = dir.resolve("converted.safetensors");
        float[] values = {1f, 1.00390625f, 1.01171875f, -3.3f, Float.NaN, Float.MAX_VALUE};
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            NDArray floats = manager.create(values);
            NDArray doubles = floats.toType(DataType.FLOAT64, false);
            List<TensorSpec> specs = List.of(
                    new TensorSpec("bf16", SafetensorsDtype.BF16, new Shape(6)),
                    new TensorSpec("bf16.from.f64", SafetensorsDtype.BF16, new Shape(6)),
                    new TensorSpec("f16", SafetensorsDtype.F16, new Shape(6)),
                    new TensorSpec("f64", SafetensorsDtype.F64, new Shape(6)));
            try (SafetensorsWriter writer = SafetensorsWriter.create(file, specs, Map.of())) {
                PeftException shape =
                        assertThrows(PeftException.class, () -> writer.write("f16", floats.reshape(2, 3)));
                assertTrue(shape.getMessage().contains("shape (2, 3), declared (6)"), shape.getMessage());
                writer.write("bf16", floats);
                writer.write("bf16.from.f64", doubles);
                writer.write("f16", floats);
                writer.write("f64", floats);
                writer.commit();
            }
            try (SafetensorsFile read = SafetensorsFile.open(file)) {
                ByteBuffer bf16 = read.readBytes("bf16");
                assertArrayEquals(
                        SafetensorsBytes.shorts(0x3F80, 0x3F80, 0x3F82, 0xC053, 0x7FC0, 0x7F80),
                        Arrays.copyOf(bf16.array(), bf16.limit()),
                        "round to nearest even; NaN quiet");
                assertArrayEquals(read.readFloats("bf16"), read.readFloats("bf16.from.f64"));
                NDArray f16 = read.read("f16", manager);
                assertArrayEquals(floats.toType(DataType.FLOAT16, false).toByteArray(), f16.toByteArray());
                assertArrayEquals(values, read.readFloats("f64"));
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void saveRejectsArraysOfOtherTypes(EngineBinding engine) {
        Path file = dir.resolve("ints.safetensors");
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            PeftException error = assertThrows(
                    PeftException.class,
                    () -> SafetensorsWriter.save(file, Map.of("ids", manager.create(new int[] {1, 2})), Map.of()));
            assertTrue(error.getMessage().contains("int32 cannot be stored"), error.getMessage());
        }
        assertFalse(Files.exists(file));
    }
}
