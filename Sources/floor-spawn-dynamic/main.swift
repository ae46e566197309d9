import SpawnFloor

SpawnFloor.run()
