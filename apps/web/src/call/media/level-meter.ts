/**
 * How much audio one reading covers. The meter is read once per this interval, so every sound,
 * however short, falls inside some reading. (A 10 ms window read every 100 ms saw a tenth of the
 * audio: a short, regular sound such as a beep could fall between readings for seconds on end.)
 */
export const LEVEL_WINDOW_MS = 100;

/** AnalyserNode's limits on its size, which must also be a power of two. */
const MIN_ANALYSER_SIZE = 32;
const MAX_ANALYSER_SIZE = 32768;

/** The smallest analyser size that holds at least `windowMs` of audio at `sampleRate`. */
export function analyserSizeFor(sampleRate: number, windowMs: number): number {
  const samples = (sampleRate * windowMs) / 1000;
  const size = 2 ** Math.ceil(Math.log2(Math.max(1, samples)));
  return Math.min(MAX_ANALYSER_SIZE, Math.max(MIN_ANALYSER_SIZE, size));
}

/**
 * Measures a microphone track's loudness (0..1) with an AnalyserNode, for the lobby meter and
 * the local speaking indicator. One AudioContext per meter; `stop()` releases it.
 */
export class LevelMeter {
  private readonly context: AudioContext;
  private readonly analyser: AnalyserNode;
  private readonly source: MediaStreamAudioSourceNode;
  private readonly samples: Float32Array<ArrayBuffer>;

  constructor(track: MediaStreamTrack) {
    this.context = new AudioContext();
    this.source = this.context.createMediaStreamSource(new MediaStream([track]));
    this.analyser = this.context.createAnalyser();
    this.analyser.fftSize = analyserSizeFor(this.context.sampleRate, LEVEL_WINDOW_MS);
    this.samples = new Float32Array(this.analyser.fftSize);
    this.source.connect(this.analyser);
  }

  /**
   * Root-mean-square level of the last LEVEL_WINDOW_MS (or a little more), scaled so normal
   * speech reads around 0.3-0.7.
   */
  level(): number {
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const sample of this.samples) sum += sample * sample;
    return Math.min(1, Math.sqrt(sum / this.samples.length) * 4);
  }

  stop(): void {
    this.source.disconnect();
    void this.context.close();
  }
}
