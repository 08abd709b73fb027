// Django admin: the waveform players of WaveformAudioWidget (studio/widgets.py) and of the consent
// and preview columns (voices/admin.py) are the studio's own player (templates/includes/player.html).
import { mountPlayers } from "./player.js";

mountPlayers(document);
