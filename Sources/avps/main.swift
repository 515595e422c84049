print("avps")
