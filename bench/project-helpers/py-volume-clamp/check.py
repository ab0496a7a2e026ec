from audio.mixer import set_volume
assert set_volume(150) == 100 and set_volume(-5) == 0 and set_volume(40) == 40
