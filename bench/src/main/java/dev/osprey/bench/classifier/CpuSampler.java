package dev.osprey.bench.classifier;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the process's CPU time goes, by kind of thread: the figure that says whether a run was
 * limited by the stream thread, by the co-located broker, or by the two cores.
 *
 * <p>Java threads are read from {@link ThreadMXBean} with their full names; threads the JVM hides
 * from it (GC, JIT compilers) and native threads (PyTorch's intra-op workers) only from
 * {@code /proc/self/task}. Native time is what is left of the process total once the Java threads
 * and the JVM's own threads are counted, so it is mostly PyTorch's worker threads. The stream
 * thread's own time includes the share of each forward pass PyTorch runs on the calling thread.
 */
final class CpuSampler {

    /** Garbage collector threads (G1), by the start of their Linux name. */
    private static final List<String> GC_THREADS = List.of("GC Thread", "G1 ", "VM Thread");
    /** Other JVM threads invisible to ThreadMXBean: the JIT compilers and housekeeping. */
    private static final List<String> JIT_THREADS = List.of("C1 CompilerThre", "C2 CompilerThre", "VM Periodic",
            "Sweeper", "Service Thread", "Monitor Deflati");
    /** Linux reports task times in clock ticks of 1/100 s on every platform Java runs on here. */
    private static final double TICK_NANOS = 1e7;
    private static final int CORES = Runtime.getRuntime().availableProcessors();

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** CPU counters at one instant. */
    record Snapshot(long wallNanos, long processNanos, long gcNanos, long jitNanos, Map<Long, ThreadCpu> javaThreads,
                    long machineBusyTicks, long machineTotalTicks) {
    }

    /** One Java thread's name and CPU time. */
    record ThreadCpu(String name, long nanos) {
    }

    /**
     * CPU between two snapshots, in cores (CPU seconds per wall second); on this 2-core machine
     * {@code total} near 2.0 means every core was busy.
     *
     * @param total      the whole process
     * @param stream     Kafka Streams stream threads (processing, serialising, the forward pass's calling thread)
     * @param clientIo   Kafka client network and heartbeat threads (the stream's producer, the bench's clients)
     * @param broker     the rest of the Java threads: almost all the embedded broker
     * @param gc         garbage collector threads (G1 workers and the VM thread that runs its pauses)
     * @param jit        JIT compiler and other JVM housekeeping threads
     * @param nativeRest native threads: PyTorch's intra-op workers
     * @param bench      the bench's own threads (its output reader and producers)
     * @param others     other processes on the machine (and hypervisor steal): the contention a shared
     *                   machine adds, which this process could not use
     */
    record Breakdown(double total, double stream, double clientIo, double broker, double gc, double jit,
                     double nativeRest, double bench, double others) {

        static final Breakdown NONE = new Breakdown(0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    Snapshot take() {
        Map<Long, ThreadCpu> java = new HashMap<>();
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            long cpu = threads.getThreadCpuTime(ids[i]);
            if (infos[i] != null && cpu >= 0) {
                java.put(ids[i], new ThreadCpu(infos[i].getThreadName(), cpu));
            }
        }
        long[] machine = machineTicks();
        return new Snapshot(System.nanoTime(), os.getProcessCpuTime(), threadNanos(GC_THREADS),
                threadNanos(JIT_THREADS), java, machine[0], machine[1]);
    }

    static Breakdown between(Snapshot a, Snapshot b) {
        double wall = b.wallNanos() - a.wallNanos();
        if (wall <= 0) {
            return Breakdown.NONE;
        }
        double stream = 0;
        double io = 0;
        double bench = 0;
        double other = 0;
        for (Map.Entry<Long, ThreadCpu> e : b.javaThreads().entrySet()) {
            ThreadCpu before = a.javaThreads().get(e.getKey());
            double used = e.getValue().nanos() - (before == null ? 0 : before.nanos());
            String name = e.getValue().name();
            if (name.startsWith("kafka-producer-network-thread") || name.startsWith("kafka-coordinator-heartbeat")) {
                io += used;
            } else if (name.contains("StreamThread")) {
                stream += used;
            } else if (name.startsWith("bench-") || name.equals("main")) {
                bench += used;
            } else {
                other += used;
            }
        }
        double total = b.processNanos() - a.processNanos();
        double gc = b.gcNanos() - a.gcNanos();
        double jit = b.jitNanos() - a.jitNanos();
        double nativeRest = Math.max(0, total - stream - io - bench - other - gc - jit);
        long machineTotal = b.machineTotalTicks() - a.machineTotalTicks();
        double machineCores = machineTotal <= 0 ? 0
                : CORES * (double) (b.machineBusyTicks() - a.machineBusyTicks()) / machineTotal;
        double others = Math.max(0, machineCores - total / wall);
        return new Breakdown(total / wall, stream / wall, io / wall, other / wall, gc / wall, jit / wall,
                nativeRest / wall, bench / wall, others);
    }

    /**
     * Busy and total ticks of the whole machine from {@code /proc/stat}: busy counts user, nice,
     * system, irq, softirq and steal; total adds idle and iowait. Zeros where /proc is missing.
     */
    private static long[] machineTicks() {
        try {
            String cpu = Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.US_ASCII).get(0);
            String[] f = cpu.trim().split("\\s+");
            long user = Long.parseLong(f[1]);
            long nice = Long.parseLong(f[2]);
            long system = Long.parseLong(f[3]);
            long idle = Long.parseLong(f[4]);
            long iowait = Long.parseLong(f[5]);
            long irq = Long.parseLong(f[6]);
            long softirq = Long.parseLong(f[7]);
            long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
            long busy = user + nice + system + irq + softirq + steal;
            return new long[] {busy, busy + idle + iowait};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /** CPU of the threads named {@code prefixes}, from {@code /proc/self/task/<tid>/{comm,stat}}; 0 without /proc. */
    private static long threadNanos(List<String> prefixes) {
        long ticks = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    String comm = Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).strip();
                    if (prefixes.stream().anyMatch(comm::startsWith)) {
                        ticks += ticks(Files.readString(task.resolve("stat"), StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    // the thread ended while we looked; GC and compiler threads live as long as the JVM
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return (long) (ticks * TICK_NANOS);
    }

    /** utime + stime: fields 14 and 15 of stat, counted after the parenthesised name (which may hold spaces). */
    private static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
